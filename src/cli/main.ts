/** `paz`: one command for every role and the CLI. Each command group lives in its own file. */
import { PAZ_VERSION } from '../version.js';
import { serverCommand } from './server.js';
import { kvCommand } from './kv.js';
import { downCommand } from './down.js';
import { docsCommand } from './docs.js';
import { webhookCommand } from './webhook.js';
import { secretCommand } from './secret.js';
import { clientCommand, clientCommands, clientUsage } from './client-commands.js';
import { registryCommand } from './registry.js';
import { tokenCommand } from './token.js';
import { backupCommand, restoreCommand } from './backup.js';
import { UsageError } from './usage-error.js';
import { closest } from './closest.js';
import { hostCommand } from './host.js';

const usage = `paz ${PAZ_VERSION}: run Docker services on your own hosts

Roles:
  paz up                  everything on this host (control plane + agent), embedded store
  paz server              control plane only: orchestrator :9000, directory :9001, scheduler :9002
  paz agent               one per host: runs the units placed on it (Docker or processes)
  paz down                stop this host's paz, its router and all its units (stopping paz up alone
                          leaves units running for the next start to adopt)

CLI (talks to PAZ_URL, default http://127.0.0.1:9000):
${clientUsage}
  paz secret set|unset|ls SERVICE  secret env values (set KEY=VALUE, KEY=- from stdin): sealed, shown by fingerprint

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

Run 'paz <command> --help' for a command's options.

Exit status: 0 done, 1 failed (an error, Paz unreachable, not healthy), 2 usage (unknown command or
option, missing or bad argument).`;

/** The groups' own verbs, so a usage error names `paz token create`, not just `paz token`. */
const subcommands: Record<string, string[]> = { token: ['create', 'ls', 'revoke'], secret: ['set', 'unset', 'ls'], registry: ['login', 'ls', 'logout'], kv: ['get', 'ls'], webhook: ['secret'], host: ['drain', 'undrain'] };

/** Every command name, for "did you mean". */
const commandNames = ['up', 'server', 'agent', 'down', 'kv', 'docs', 'webhook', 'registry', 'secret', 'token', 'backup', 'restore', 'host', 'help', 'version', ...clientCommands];

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const cmd = subcommands[argv[0]]?.includes(argv[1]) ? `${argv[0]} ${argv[1]}` : argv[0];
    console.error(`paz: ${e.message}${e.message.includes(`paz ${cmd}`) ? '' : ` for paz ${cmd}`}; see paz ${argv[0]} --help`);
    return 2;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return cmd === undefined ? 2 : 0;
    case '--version':
    case 'version':
      console.log(PAZ_VERSION);
      return 0;
    case 'up':
      return serverCommand(rest, 'up');
    case 'server':
      return serverCommand(rest, 'server');
    case 'agent':
      return serverCommand(rest, 'agent');
    case 'down':
      return downCommand(rest);
    case 'kv':
      return kvCommand(rest);
    case 'docs':
      return docsCommand(rest);
    case 'webhook':
      return webhookCommand(rest);
    case 'registry':
      return registryCommand(rest);
    case 'secret':
      return secretCommand(rest);
    case 'token':
      return tokenCommand(rest);
    case 'backup':
      return backupCommand(rest);
    case 'restore':
      return restoreCommand(rest);
    case 'host':
      return hostCommand(rest);
    default:
      if (clientCommands.has(cmd)) return clientCommand(cmd, rest);
      const near = closest(cmd, commandNames);
      console.error(`paz: unknown command "${cmd}"${near ? ` (did you mean paz ${near}?)` : ''}; see paz --help`);
      return 2;
  }
}
