/** `paz token create|ls|revoke`: API tokens (admin). */
import { ROLES, isRole } from '../core/tokens.js';
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { printTable } from './table.js';
import { UsageError, unknownVerb } from './usage-error.js';
import { print, printError } from './print.js';

export const tokenUsage = `usage:
  paz token create NAME --role admin|deployer|read-only   make a token; it is printed once, keep it
  paz token ls [--json]                                   list tokens (names, roles; never the tokens)
  paz token revoke NAME|ID                                revoke a token (within a second everywhere)
roles: admin (everything, tokens included), deployer (services, config, deploy, rollback, scale), read-only
each takes --url URL (PAZ_URL) and sends PAZ_TOKEN, else DATA_DIR/admin-token (--data-dir, PAZ_DATA_DIR, ~/.paz)
example: paz token create ci --role deployer`;

export async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, role: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  const [sub, name] = positionals;
  if (values.help || sub === undefined) {
    (values.help ? console.log : console.error)(tokenUsage);
    return values.help ? 0 : 2;
  }
  if (!VERBS.includes(sub)) throw unknownVerb('token', sub, VERBS);
  const client = clientOf(values);
  switch (sub) {
    case 'create': {
      if (!name) throw new UsageError('usage: paz token create NAME --role admin|deployer|read-only');
      if (!isRole(values.role)) throw new UsageError(`paz token create needs --role ${ROLES.join('|')}${values.role ? `, got "${values.role}"` : ''}`);
      const t = await client.createToken(name, values.role);
      if (values.json) return console.log(JSON.stringify(t, null, 2)), 0;
      print(t.token);
      printError(`token "${t.name}" (${t.role}, id ${t.id}) made: the line above is shown only this once; use it as PAZ_TOKEN or "Authorization: Bearer <token>"`);
      return 0;
    }
    case 'ls': {
      const list = await client.tokens();
      if (values.json) return console.log(JSON.stringify(list, null, 2)), 0;
      printTable(['ID', 'NAME', 'ROLE', 'CREATED', 'CREATED BY'], list.map((t) => [t.id, t.name, t.role, new Date(t.createdAt).toISOString(), t.createdBy]), 'no tokens (`paz token create NAME --role ROLE` makes one)');
      return 0;
    }
    case 'revoke': {
      if (!name) throw new UsageError('usage: paz token revoke NAME|ID');
      const t = await client.revokeToken(name);
      print(`revoked token "${t.name}" (${t.role}, id ${t.id})`);
      return 0;
    }
  }
  throw unknownVerb('token', sub, VERBS);
}

const VERBS = ['create', 'ls', 'revoke'];
