/** The CLI commands that talk to the orchestrator API, by group. */
import { servicesCommand } from './services.js';
import { clusterCommand } from './cluster.js';
import { healthCommand } from './health.js';

export const clientUsage = `  paz services                     list services
  paz create FILE|-|JSON           create a service from its JSON document
  paz service NAME                 show a service
  paz config NAME [PATCH]          show the next config, or patch it (JSON)
  paz deploy NAME [--tag T] [--wait]   deploy the next config as a new version (--wait: progress until the old instances are stopped)
  paz rollback NAME [--version N] [--wait]   deploy an earlier version's snapshot as a new version
  paz scale NAME COUNT             change the number of instances now, without a new version
  paz rollout NAME                 the latest deploy's progress
  paz history NAME                 deployed versions
  paz journal [NAME]               the journal: deploys, outcomes, rollbacks, scaling, deletes
  paz delete NAME                  delete a service and stop its instances
  paz units [SERVICE]              units, like fleetctl list-units (paz ps: the same)
  paz hosts                        hosts, like fleetctl list-machines
  paz logs [-f] [--tail N] UNIT    a unit's output, like fleetctl journal -f (UNIT may be <service>-<instance>)
  paz events [--since REV]         live events (services, units, hosts, endpoints, deploys)
  paz health [SERVICE|--host ID]   healthy or not, and why: the cluster, a service or a host (exit 0 healthy, 1 not)
  (each takes --url URL to override PAZ_URL, and --json where it lists; each sends PAZ_TOKEN, else the
   admin token in --data-dir/PAZ_DATA_DIR/~/.paz's admin-token)`;

const groups: Record<string, (cmd: string, args: string[]) => Promise<number>> = {
  services: servicesCommand,
  create: servicesCommand,
  service: servicesCommand,
  config: servicesCommand,
  deploy: servicesCommand,
  rollback: servicesCommand,
  scale: servicesCommand,
  rollout: servicesCommand,
  history: servicesCommand,
  journal: servicesCommand,
  delete: servicesCommand,
  units: clusterCommand,
  ps: clusterCommand,
  hosts: clusterCommand,
  logs: clusterCommand,
  events: clusterCommand,
  health: healthCommand,
};

export const clientCommands = new Set(Object.keys(groups));

/** One example per command, shown by `paz CMD --help`. */
const examples: Record<string, string> = {
  services: 'paz services --json',
  create: 'paz create hello.json',
  service: 'paz service hello-web',
  config: `paz config hello-web '{"numInstances": 3}'`,
  deploy: 'paz deploy hello-web --tag 2 --wait',
  rollback: 'paz rollback hello-web --version 3 --wait',
  scale: 'paz scale hello-web 3',
  rollout: 'paz rollout hello-web',
  history: 'paz history hello-web --json',
  journal: 'paz journal hello-web',
  delete: 'paz delete hello-web',
  units: 'paz units hello-web',
  ps: 'paz ps hello-web',
  hosts: 'paz hosts --json',
  logs: 'paz logs -f --tail 100 hello-web-1',
  events: 'paz events --since 1200',
  health: 'paz health hello-web --json',
};

/** `paz CMD --help`: the command's line of the usage, an example, and the options every command takes. */
export function clientHelp(cmd: string): string {
  const name = cmd === 'ps' ? 'units' : cmd;
  const lines = clientUsage.split('\n');
  const own = lines.filter((l) => l.trimStart().startsWith(`paz ${name} `) || l.trimStart() === `paz ${name}`);
  const common = lines.slice(lines.findIndex((l) => l.includes('(each takes')));
  return [...own, '', `Example:\n  ${examples[cmd]}`, '', ...common].join('\n');
}

export async function clientCommand(cmd: string, args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(clientHelp(cmd));
    return 0;
  }
  return groups[cmd](cmd, args);
}
