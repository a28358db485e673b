/**
 * `paz login` and `paz profile ls|use|rm`: named profiles (a server's URL and a token) in the profile file
 * (client/profile-file.ts), like kubectl's contexts. Login asks the server who the token is before saving,
 * so a profile that is saved works.
 */
import { PazApiError, PazClient } from '../client/paz-client.js';
import { DEFAULT_URL, profileNameProblem, urlProblem, withScheme } from '../client/connection.js';
import { profileFilePath, readProfiles, writeProfiles } from '../client/profile-file.js';
import { closest } from './closest.js';
import { parse } from './options.js';
import { table } from './table.js';
import { UsageError } from './usage-error.js';
import { print, printError } from './print.js';

export const loginUsage = `usage: paz login [URL] [--profile NAME] [--token-stdin]
  Checks the token against the server (who it is, its role) and saves URL and token as profile NAME
  (default "default") in the profile file, then makes it the current profile.
  URL: default PAZ_URL, else the profile's URL if it exists, else ${DEFAULT_URL}.
  The token: --token-stdin reads it from standard input; else --token, else PAZ_TOKEN, else asked for
  (not echoed) when standard input is a terminal.
  Profile file: $PAZ_CONFIG, else $XDG_CONFIG_HOME/paz/config.json, else ~/.config/paz/config.json (mode 0600).
examples:
  paz token create laptop --role deployer | paz login https://paz.example.com:9000 --profile prod --token-stdin
  paz login 127.0.0.1:9000 --profile local --token-stdin < ~/.paz/admin-token`;

export const profileUsage = `usage:
  paz profile ls [--json]     the profiles: name, URL, whether it has a token; * marks the current one
  paz profile use NAME        make NAME the current profile (what commands use without --profile)
  paz profile rm NAME         forget a profile and its token
Which server a command talks to, first match wins: --url/--token, --profile NAME, PAZ_URL/PAZ_TOKEN,
PAZ_PROFILE, the current profile, then ${DEFAULT_URL} with DATA_DIR/admin-token. A profile's token is
sent only to the profile's own URL.
examples:
  paz profile use prod && paz services
  paz services --profile local`;

/** The token typed at a terminal, without echoing it. */
async function promptToken(question: string): Promise<string> {
  const stdin = process.stdin;
  // echo off before the question: what is typed once it shows must not appear
  stdin.setRawMode(true);
  stdin.resume();
  process.stderr.write(question);
  let typed = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') return typed;
        if (ch === '\u0003') throw new Error('interrupted');
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function loginCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { profile: { type: 'string' }, token: { type: 'string' }, 'token-stdin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return console.log(loginUsage), 0;
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  const name = values.profile ?? 'default';
  const nameProblem = profileNameProblem(name);
  if (nameProblem) throw new UsageError(nameProblem);
  const path = profileFilePath();
  const config = readProfiles(path);
  const url = withScheme(positionals[0] ?? (process.env.PAZ_URL || undefined) ?? config.profiles[name]?.url ?? DEFAULT_URL);
  const problem = urlProblem(url);
  if (problem) throw new UsageError(problem);
  let token: string;
  if (values['token-stdin']) token = await readStdin();
  else if (values.token !== undefined) token = values.token.trim();
  else if (process.env.PAZ_TOKEN) token = process.env.PAZ_TOKEN.trim();
  else if (process.stdin.isTTY) token = (await promptToken(`API token for ${url}: `)).trim();
  else throw new UsageError('give the token with --token-stdin (e.g. paz login URL --token-stdin < token-file)');
  if (!token) throw new UsageError('the token is empty');

  const client = new PazClient({ url, token, profiles: false });
  let who: { name: string; role: string; auth?: string };
  try {
    who = await client.call('GET', '/auth/whoami');
  } catch (e) {
    if (e instanceof PazApiError && (e.status === 401 || e.status === 403)) {
      printError(`paz: ${url} refused the token; nothing saved (${e.message.replace(/ \[the CLI sent.*$/, '')})`);
      return 1;
    }
    throw e;
  }
  config.profiles[name] = { url, token };
  const previous = config.current;
  config.current = name;
  writeProfiles(path, config);
  const as = who.auth === 'off' ? `: authentication is off there (--no-auth), the token is kept for when it is on` : ` as ${who.name} (role ${who.role})`;
  print(`logged in to ${url}${as}`);
  printError(`profile ${name} saved in ${path}${previous === name ? '' : ` and made current${previous ? ` (was ${previous})` : ''}`}`);
  return 0;
}

export async function profileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  const [verb, name, ...extra] = positionals;
  if (values.help || !verb) {
    (values.help ? console.log : console.error)(profileUsage);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  const path = profileFilePath();
  const config = readProfiles(path);
  const known = (n: string | undefined, what: string): string => {
    if (!n) throw new UsageError(`paz profile ${verb} needs ${what}`);
    if (config.profiles[n]) return n;
    const near = closest(n, Object.keys(config.profiles));
    throw new Error(`no profile named ${n}${near ? ` (did you mean ${near}?)` : ''}; make it with \`paz login URL --profile ${n}\``);
  };
  switch (verb) {
    case 'ls': {
      if (name) throw new UsageError(`unexpected argument ${name}`);
      const rows = Object.entries(config.profiles).map(([n, p]) => ({ name: n, url: p.url, token: p.token !== undefined, current: n === config.current }));
      if (values.json) return console.log(JSON.stringify(rows, null, 2)), 0;
      if (rows.length === 0) {
        printError(`no profiles in ${path}; make one with \`paz login URL --profile NAME\``);
        return 0;
      }
      console.log(table(['CURRENT', 'NAME', 'URL', 'TOKEN'], rows.map((r) => [r.current ? '*' : '', r.name, r.url, r.token ? 'yes' : 'no'])));
      return 0;
    }
    case 'use': {
      const n = known(name, 'a profile NAME');
      config.current = n;
      writeProfiles(path, config);
      print(`current profile: ${n} (${config.profiles[n].url})`);
      return 0;
    }
    case 'rm': {
      const n = known(name, 'a profile NAME');
      const wasCurrent = config.current === n;
      delete config.profiles[n];
      if (wasCurrent) delete config.current;
      writeProfiles(path, config);
      print(`removed profile ${n}${wasCurrent ? '; no current profile now: commands use PAZ_URL or the default' : ''}`);
      return 0;
    }
  }
  const near = closest(verb, ['ls', 'use', 'rm']);
  throw new UsageError(`unknown subcommand "${verb}"${near ? ` (did you mean paz profile ${near}?)` : ''}`);
}
