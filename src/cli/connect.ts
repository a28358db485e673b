/**
 * The options every command that talks to Paz takes (--url, --token, --profile, --data-dir), and the
 * client they make. Which wins over which is connection.ts's job.
 */
import { PazClient } from '../client/paz-client.js';

export const connectionOptions = {
  url: { type: 'string' },
  token: { type: 'string' },
  profile: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export function clientOf(values: { url?: string; token?: string; profile?: string; 'data-dir'?: string }): PazClient {
  return new PazClient({ url: values.url, token: values.token, profile: values.profile, dataDir: values['data-dir'] });
}
