/**
 * `paz`: one command for every role and the CLI. Each command group lives in its own file, loaded only when
 * its command runs: a client command must not pay for etcd, gRPC, Docker and Fastify (see `commands`).
 */
import { PAZ_VERSION } from '../version.js';
import { clientCommand, clientCommands, clientUsage } from './client-commands.js';
import { UsageError } from './usage-error.js';
import { closest } from './closest.js';
import { pazNameOf } from './other-tools-words.js';
import { terminalSafe } from './terminal-safe.js';
import { cliTerms, type ApiErrorLike } from './api-error-terms.js';
import { splitGlobalFlags, type SplitArgv } from './global-flags.js';
import { printError } from './print.js';

const usage = `paz ${PAZ_VERSION}: run Docker services on your own hosts

Roles:
  paz up                  everything on this host (control plane + agent), embedded store
  paz server              control plane only: orchestrator :9000, directory :9001, scheduler :9002
  paz agent               one per host: runs the units placed on it (Docker or processes)
  paz down                stop this host's paz, its router and all its units (stopping paz up alone
                          leaves units running for the next start to adopt)

CLI (talks to --url/PAZ_URL, else the current profile (paz login), else http://127.0.0.1:9000):
${clientUsage}
  paz secret set|unset|ls SERVICE  secret env values (set KEY=VALUE, KEY=- from stdin): sealed, shown by fingerprint

Profiles (which server, which token; see paz login --help):
  paz login [URL] [--profile NAME] [--token-stdin]   check a token and save it with URL as a profile
  paz profile ls | paz profile use NAME | paz profile rm NAME
  paz completion bash|zsh          shell completion (e.g. source <(paz completion bash))

Hosts (admin):
  paz host drain ID [--wait]   move the host's units to other hosts, no new ones there (--wait: until empty)
  paz host undrain ID          the host takes new units again (moved units stay where they are)

Registries (admin):
  paz registry login HOST --username U --password-stdin   credentials for pulls from HOST
  paz registry ls | paz registry logout HOST

Tokens (admin):
  paz token create NAME --role admin|deployer|read-only    paz token ls    paz token revoke NAME

Store:
  paz kv get KEY          print a key's value, like etcdctl get
  paz kv ls [PREFIX]      list keys, like etcdctl ls
  paz backup FILE         the whole state to a file (secrets stay sealed); paz restore FILE into an empty store

Other:
  paz webhook secret [--rotate]   the secret deploy hooks must prove (admin); --rotate replaces it
  paz docs --out FILE     write the OpenAPI documents;  paz docs --serve  serve the reference page
  paz --version

Run 'paz <command> --help' (or 'paz help <command>') for a command's options and examples.
--url, --token, --profile, --data-dir, --json and --help may also come before the command, as in
kubectl: paz --profile prod services, paz --json units web.

Exit status: 0 done, 1 failed (an error, Paz unreachable, not healthy), 2 usage (unknown command or
option, missing or bad argument).`;

/** A top-level command: how to run it (its module is imported then), its verbs, whether help lists it. */
interface Command {
  run: (args: string[]) => Promise<number>;
  /** the group's own verbs, so a usage error names `paz token create`, not just `paz token` (and completion offers them) */
  subcommands?: string[];
  hidden?: boolean;
}

/** Every command but the client commands (client-commands.ts); one line each, so adding one is one line. */
const commands: Record<string, Command> = {
  up: { run: async (a) => (await import('./server.js')).serverCommand(a, 'up') },
  server: { run: async (a) => (await import('./server.js')).serverCommand(a, 'server') },
  agent: { run: async (a) => (await import('./server.js')).serverCommand(a, 'agent') },
  down: { run: async (a) => (await import('./down.js')).downCommand(a) },
  kv: { run: async (a) => (await import('./kv.js')).kvCommand(a), subcommands: ['get', 'ls'] },
  docs: { run: async (a) => (await import('./docs.js')).docsCommand(a) },
  webhook: { run: async (a) => (await import('./webhook.js')).webhookCommand(a), subcommands: ['secret'] },
  registry: { run: async (a) => (await import('./registry.js')).registryCommand(a), subcommands: ['login', 'ls', 'logout'] },
  secret: { run: async (a) => (await import('./secret.js')).secretCommand(a), subcommands: ['set', 'unset', 'ls'] },
  token: { run: async (a) => (await import('./token.js')).tokenCommand(a), subcommands: ['create', 'ls', 'revoke'] },
  backup: { run: async (a) => (await import('./backup.js')).backupCommand(a) },
  restore: { run: async (a) => (await import('./backup.js')).restoreCommand(a) },
  host: { run: async (a) => (await import('./host.js')).hostCommand(a), subcommands: ['drain', 'undrain'] },
  login: { run: async (a) => (await import('./login.js')).loginCommand(a) },
  profile: { run: async (a) => (await import('./login.js')).profileCommand(a), subcommands: ['ls', 'use', 'rm'] },
  completion: { run: async (a) => (await import('./completion.js')).completionCommand(a), subcommands: ['bash', 'zsh'] },
  __complete: { run: async (a) => (await import('./completion.js')).completeCommand(a, commandTable()), hidden: true },
};

/** Every command with its verbs, the client commands included (for completion and "did you mean"). */
export function commandTable(): Record<string, { subcommands?: string[]; hidden?: boolean }> {
  const all: Record<string, { subcommands?: string[]; hidden?: boolean }> = {};
  for (const [name, c] of Object.entries(commands)) all[name] = { subcommands: c.subcommands, hidden: c.hidden };
  for (const [name, c] of Object.entries(clientCommands)) all[name] = { subcommands: c.subcommands };
  return all;
}

const subcommands = (cmd: string): string[] | undefined => commands[cmd]?.subcommands ?? clientCommands[cmd]?.subcommands;

/** Every command name, for "did you mean". */
const commandNames = () => ['help', 'version', ...Object.keys(commands).filter((c) => !commands[c].hidden), ...Object.keys(clientCommands)];

/** bin/paz.js prints the error a command ended with through this */
export { terminalSafe };

export async function main(argv: string[]): Promise<number> {
  let split: SplitArgv;
  try {
    split = splitGlobalFlags(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    printError(`paz: ${e.message}; see paz --help`);
    return 2;
  }
  const words = split.command === undefined ? [] : [split.command, ...split.args];
  try {
    return await dispatch(split);
  } catch (e) {
    // the API's "create it with POST /services" becomes "create it with `paz create FILE`"
    if ((e as Error).name === 'PazApiError') throw new Error(cliTerms(e as ApiErrorLike), { cause: e });
    if (!(e instanceof UsageError)) throw e;
    const [first, second] = words;
    const cmd = subcommands(first)?.includes(second) ? `${first} ${second}` : first;
    printError(`paz: ${e.message}${e.message.includes(`paz ${cmd}`) ? '' : ` for paz ${cmd}`}; see paz ${first} --help`);
    return 2;
  }
}

async function dispatch({ command: cmd, args: rest, help, version }: SplitArgv): Promise<number> {
  if (cmd === undefined) {
    if (help) return console.log(usage), 0;
    if (version) return console.log(PAZ_VERSION), 0;
    // no command at all: the usage, as a usage error (on stderr, like every usage error)
    return console.error(usage), 2;
  }
  switch (cmd) {
    case 'help':
      // `paz help deploy` is `paz deploy --help`
      if (rest.length > 0 && !rest[0].startsWith('-')) return dispatch({ command: rest[0], args: ['--help'], help: false, version: false });
      console.log(usage);
      return 0;
    case 'version':
      console.log(PAZ_VERSION);
      return 0;
    default: {
      if (Object.hasOwn(commands, cmd)) return commands[cmd].run(rest);
      if (Object.hasOwn(clientCommands, cmd)) return clientCommand(cmd, rest);
      const named = pazNameOf(cmd);
      const near = named === null ? undefined : (named ?? closest(cmd, commandNames()));
      printError(`paz: unknown command "${cmd}"${near ? ` (did you mean paz ${near}?)` : ''}; see paz --help`);
      return 2;
    }
  }
}
