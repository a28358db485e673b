/** `paz webhook secret [--rotate]`: the webhook secret that deploy hook calls must prove, for admins. */
import type { WebhookSetup } from '../core/webhook-setup.js';
import { parse } from './options.js';
import { UsageError, unknownVerb } from './usage-error.js';
import { clientOf, connectionOptions } from './connect.js';
import { print } from './print.js';

export const webhookUsage = `usage: paz webhook secret [--rotate] [--json] [--url URL]
  shows the webhook secret (made on first use) and how to give it to each hook caller;
  --rotate replaces it: calls with the old secret are refused from then on
example: paz webhook secret --rotate`;

interface SecretDoc {
  secret: string;
  fingerprint: string;
  createdAt: string;
  enforced: boolean;
  setup: WebhookSetup;
}

export async function webhookCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, rotate: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (positionals[0] !== undefined && positionals[0] !== 'secret') throw unknownVerb('webhook', positionals[0], ['secret']);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  if (values.help || positionals[0] !== 'secret') {
    (values.help ? console.log : console.error)(webhookUsage);
    return values.help ? 0 : 2;
  }
  const client = clientOf(values);
  const { doc } = values.rotate
    ? await client.call<{ doc: SecretDoc }>('POST', '/auth/webhook-secret/rotate')
    : await client.call<{ doc: SecretDoc }>('GET', '/auth/webhook-secret');
  if (values.json) {
    console.log(JSON.stringify(doc, null, 2));
    return 0;
  }
  const s = doc.setup;
  print(`${values.rotate ? 'new ' : ''}webhook secret: ${doc.secret}   (fingerprint ${doc.fingerprint}, made ${doc.createdAt})`);
  if (!doc.enforced) console.log('note: auth is off (--no-auth): hooks accept calls without the secret until auth is on');
  print(`
Signed call (GitHub style: CI job, e.g. a GitHub Actions step after the push): POST ${s.signed.url}
  with ${s.signed.header}
${s.signed.shell.replace(/^/gm, '  ')}

Docker Hub (Repository > Webhooks > New webhook), webhook URL:
  ${s.dockerhub.url}

Docker registry (config.yml), notifications:
${s.registry.config.replace(/^/gm, '  ')}`);
  return 0;
}
