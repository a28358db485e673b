/**
 * `paz registry login HOST --username U`, `paz registry ls`, `paz registry logout HOST`: the credentials Paz
 * pulls private images with, per registry host (admin). The password is read from standard input, never
 * from the command line (where `ps` and shell history would keep it), and is never shown again.
 */
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { printTable } from './table.js';
import { UsageError, unknownVerb } from './usage-error.js';
import { print } from './print.js';

export const registryUsage = `usage:
  paz registry login HOST --username U [--password-stdin]   set the credentials for HOST (ghcr.io, docker.io,
                                  127.0.0.1:5001); the password or token is read from standard input:
                                  echo "$TOKEN" | paz registry login ghcr.io --username me --password-stdin
  paz registry ls [--json]        registries with credentials: host, username, password fingerprint
  paz registry logout HOST        remove HOST's credentials
  (each takes --url URL to override PAZ_URL)
example: echo "$TOKEN" | paz registry login ghcr.io --username me --password-stdin`;

/** All of standard input, without the line end `echo` adds. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new Error('paz registry login reads the password from standard input: pipe it in, e.g. echo "$TOKEN" | paz registry login HOST --username U --password-stdin');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function registryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...connectionOptions,
    username: { type: 'string', short: 'u' },
    'password-stdin': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  const [verb, host, ...extra] = positionals;
  if (verb && !['login', 'ls', 'logout'].includes(verb)) throw unknownVerb('registry', verb, ['login', 'ls', 'logout']);
  if (values.help || !verb) {
    (values.help ? console.log : console.error)(registryUsage);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`unexpected arguments ${extra.join(' ')}`);
  const client = clientOf(values);
  if (verb === 'login') {
    if (!host || !values.username) throw new UsageError(`paz registry login needs HOST and --username`);
    const login = await client.setRegistryLogin(host, values.username, await readPassword());
    print(`credentials for ${login.host} set (user ${login.username}, password fingerprint ${login.fingerprint})`);
    return 0;
  }
  if (verb === 'ls') {
    const logins = await client.registryLogins();
    if (values.json) console.log(JSON.stringify(logins, null, 2));
    else printTable(['HOST', 'USERNAME', 'FINGERPRINT', 'UPDATED'], logins.map((l) => [l.host, l.username, l.fingerprint, new Date(l.updatedAt).toISOString()]), 'no registry logins: pulls are anonymous (`paz registry login HOST --username U --password-stdin` adds one)');
    return 0;
  }
  if (verb === 'logout') {
    if (!host) throw new UsageError(`paz registry logout needs HOST`);
    await client.removeRegistryLogin(host);
    print(`credentials for ${host} removed`);
    return 0;
  }
  throw new UsageError(`unknown registry command "${verb}"`);
}
