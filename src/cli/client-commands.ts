/** The CLI commands that talk to the orchestrator API, by group; each group's module is loaded when used. */

export const clientUsage = `  paz services                     list services
  paz create FILE|-|JSON           create a service from its JSON document
  paz service NAME                 show a service
  paz config [show] NAME [KEY...] [--version N|next|last] [--json]   show a config: the next deploy's (default), the serving one, version N
  paz config set NAME KEY=VALUE... change the next config: numInstances=3 env.FOO=bar healthCheck.path=/health
  paz config unset NAME KEY...     reset keys of the next config to their defaults (env.FOO removes FOO)
  paz config edit NAME             edit the next config as JSON in $EDITOR; saved changes are applied
  paz config diff NAME [A [B]]     what differs between two configs, key by key (default: last deployed, next)
  paz deploy NAME [--tag T] [--detach]   deploy the next config as a new version; shows its progress until the old
                                   instances are stopped, exit 1 if it fails (--detach: return once it is accepted)
  paz rollback NAME [--version N] [--detach]   deploy an earlier version's snapshot as a new version, the same way
  paz restart NAME [--detach]      replace every instance of the serving version with a fresh one, as a rolling deploy
                                   of the same image digest (no tag pulled again, no pending config change)
  paz restart NAME --unit UNIT [--detach] [--cancel]   replace one instance with a fresh one, then drain and stop it
                                   (no gap; UNIT may be <service>-<instance>; --cancel withdraws it)
  paz scale NAME COUNT             change the number of instances now, without a new version
  paz exec NAME [--unit U] [--timeout S] -- CMD [ARG...]   run a command in a running instance (a migration, a
                                   one-off script): its output as it comes, its exit code as paz's; no terminal
  paz rollout NAME                 the latest deploy's progress
  paz history NAME                 deployed versions: image, digest, what started each, how it ended, which serves
  paz journal [NAME]               the journal: deploys, outcomes, rollbacks, scaling, deletes
  paz delete NAME                  delete a service and stop its instances
  paz units [SERVICE]              units, like fleetctl list-units (paz ps: the same)
  paz hosts                        hosts, like fleetctl list-machines
  paz logs [-f] [--tail N] UNIT|SERVICE   a unit's output, like fleetctl journal -f (UNIT may be <service>-<instance>);
                                   a SERVICE: every unit's, each line behind its name (-f: through deploys)
  paz events [--since REV] [--json]   live events, one line each (--json: the raw events, one JSON per line)
  paz health [SERVICE|--host ID]   healthy or not, and why: the cluster, a service or a host (exit 0 healthy, 1 not)
  paz stats [SERVICE|--host ID]    CPU, memory and network now: a service's units, a host and its units, or every host
  (each takes --url URL (PAZ_URL), --token T (PAZ_TOKEN), --profile NAME (PAZ_PROFILE; see paz profile --help),
   and --json where it lists; without a token or profile each sends the admin token in --data-dir/PAZ_DATA_DIR/~/.paz)`;

type Group = (cmd: string, args: string[]) => Promise<number>;
const services: Group = async (c, a) => (await import('./services.js')).servicesCommand(c, a);
const cluster: Group = async (c, a) => (await import('./cluster.js')).clusterCommand(c, a);
const health: Group = async (c, a) => (await import('./health.js')).healthCommand(c, a);
const config: Group = async (_c, a) => (await import('./config.js')).configCommand(a);
const stats: Group = async (c, a) => (await import('./stats.js')).statsCommand(c, a);
const exec: Group = async (c, a) => (await import('./exec.js')).execCommand(c, a);

/** `ownHelp`: the command prints its own, longer --help. */
export const clientCommands: Record<string, { run: Group; subcommands?: string[]; ownHelp?: boolean }> = {
  services: { run: services },
  create: { run: services },
  service: { run: services },
  config: { run: config, subcommands: ['show', 'set', 'unset', 'edit', 'diff'], ownHelp: true },
  deploy: { run: services },
  rollback: { run: services },
  restart: { run: services },
  scale: { run: services },
  exec: { run: exec },
  rollout: { run: services },
  history: { run: services },
  journal: { run: services },
  delete: { run: services },
  units: { run: cluster },
  ps: { run: cluster },
  hosts: { run: cluster },
  logs: { run: cluster },
  events: { run: cluster },
  health: { run: health },
  stats: { run: stats },
};

/** One example per command, shown by `paz CMD --help`. */
const examples: Record<string, string | string[]> = {
  services: 'paz services --json',
  create: 'paz create hello.json',
  service: 'paz service hello-web',
  config: ['paz config hello-web --version last --json', 'paz config set hello-web env.GREETING=hi numInstances=2', 'paz config unset hello-web env.GREETING', 'EDITOR=nano paz config edit hello-web', 'paz config diff hello-web 3 4'],
  deploy: ['paz deploy hello-web --tag 2', 'paz deploy hello-web --detach --json'],
  rollback: 'paz rollback hello-web --version 3',
  restart: ['paz restart hello-web', 'paz restart hello-web --detach --json', 'paz restart hello-web --unit hello-web-2'],
  scale: 'paz scale hello-web 3',
  exec: ['paz exec hello-web -- rake db:migrate', "paz exec hello-web --unit hello-web-2 --timeout 60 -- sh -c 'env | sort'"],
  rollout: 'paz rollout hello-web',
  history: 'paz history hello-web --json',
  journal: 'paz journal hello-web',
  delete: 'paz delete hello-web',
  units: 'paz units hello-web',
  ps: 'paz ps hello-web',
  hosts: 'paz hosts --json',
  logs: ['paz logs -f --tail 100 hello-web-1', 'paz logs -f hello-web'],
  events: ['paz events --since 1200', 'paz events --json | jq .type'],
  health: 'paz health hello-web --json',
  stats: ['paz stats hello-web', 'paz stats', 'paz stats --host 6e1c3b5f0a9d4e2b8c7f1a0d3e5b9c42 --json'],
};

/** `paz CMD --help`: the command's line of the usage, an example, and the options every command takes. */
export function clientHelp(cmd: string): string {
  const name = cmd === 'ps' ? 'units' : cmd;
  const lines = clientUsage.split('\n');
  // the command's lines, each with the lines that go on with it (indented past the command column)
  const own: string[] = [];
  let mine = false;
  for (const l of lines) {
    const starts = l.trimStart().startsWith('paz ') || l.trimStart().startsWith('(');
    if (starts) mine = l.trimStart().startsWith(`paz ${name} `) || l.trimStart() === `paz ${name}`;
    if (mine) own.push(l);
  }
  const common = lines.slice(lines.findIndex((l) => l.includes('(each takes')));
  const ex = ([] as string[]).concat(examples[cmd]);
  return [...own, '', `Example${ex.length > 1 ? 's' : ''}:`, ...ex.map((e) => `  ${e}`), '', ...common].join('\n');
}

export async function clientCommand(cmd: string, args: string[]): Promise<number> {
  if (!clientCommands[cmd].ownHelp && (args.includes('--help') || args.includes('-h'))) {
    console.log(clientHelp(cmd));
    return 0;
  }
  return clientCommands[cmd].run(cmd, args);
}
