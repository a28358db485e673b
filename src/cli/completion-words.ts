/**
 * What shell completion offers for the words typed so far: commands, their verbs, their flags, or (asked
 * of the server or the profile file by completion.ts) service and profile names. Pure.
 */
import { roleOptions } from './options.js';
import { GLOBAL_FLAGS } from './global-flags.js';

/** The options every command that talks to Paz takes (connect.ts). */
const CONNECTION = ['--url', '--token', '--profile', '--data-dir', '--help'];
const STORE = ['--store', '--store-ca', '--store-cert', '--store-key', '--data-dir', '--help'];
const ROLE = Object.keys(roleOptions).map((o) => `--${o}`);

/** Each command's flags beyond the connection ones (kept beside the commands' own parse() calls by hand). */
export const FLAGS: Record<string, string[]> = {
  services: ['--json'],
  create: ['--json'],
  service: ['--json'],
  config: ['--version', '--json'],
  deploy: ['--tag', '--wait', '--detach', '--json'],
  rollback: ['--version', '--wait', '--detach', '--json'],
  restart: ['--unit', '--cancel', '--wait', '--detach', '--json'],
  scale: ['--json'],
  exec: ['--unit', '--timeout'],
  rollout: ['--json'],
  history: ['--json'],
  journal: ['--json'],
  delete: [],
  units: ['--json'],
  ps: ['--json'],
  hosts: ['--json'],
  logs: ['--follow', '-f', '--tail'],
  events: ['--since', '--json'],
  health: ['--host', '--json'],
  stats: ['--host', '--json'],
  secret: ['--json'],
  token: ['--role', '--json'],
  host: ['--wait', '--json'],
  registry: ['--username', '--password-stdin', '--json'],
  webhook: ['--rotate', '--json'],
};

/** Flags of commands that do not talk to Paz through the API. */
const OWN_FLAGS: Record<string, string[]> = {
  up: ROLE,
  server: ROLE,
  agent: ROLE,
  kv: [...STORE, '--values', '--recursive', '--json'],
  down: [...STORE, '--cgroup-parent', '--grace'],
  backup: [...STORE, '--url', '--token', '--profile', '--force'],
  restore: [...STORE, '--secrets-key', '--force'],
  docs: ['--out', '--serve', '--port', '--help'],
  login: ['--profile', '--token-stdin', '--token', '--help'],
  profile: ['--json', '--help'],
  completion: ['--help'],
};

/** Commands whose first argument (after the verb, for those with verbs) is a service name. */
const TAKES_SERVICE = new Set(['service', 'config', 'deploy', 'rollback', 'restart', 'scale', 'exec', 'rollout', 'history', 'journal', 'delete', 'units', 'ps', 'health', 'stats', 'secret', 'logs']);

/** Flags whose value is a word we can offer. */
const VALUES: Record<string, string[] | 'profiles'> = { '--profile': 'profiles', '--role': ['admin', 'deployer', 'read-only'], '--version': ['next', 'last'] };

/** Candidates, or names to look up (`also`: words offered beside them). */
export type Completion =
  | { candidates: string[] }
  | { need: 'services' | 'profiles'; also?: string[] }
  /** keys of the service's next config (config-keys.ts keyCandidates decides which) */
  | { need: 'config-keys'; service: string; verb: 'set' | 'unset' | 'show' };

export interface CommandInfo {
  subcommands?: string[];
  hidden?: boolean;
}

/**
 * `words`: what follows `paz` on the command line, the word being completed last (maybe empty).
 * The caller filters the candidates by that word's prefix.
 */
export function whatToComplete(words: string[], table: Record<string, CommandInfo>): Completion {
  const current = words.at(-1) ?? '';
  // options before the command (global-flags.ts) are skipped; the value of one is completed as after a command
  let i = 0;
  while (i < words.length - 1 && words[i].startsWith('-')) i += GLOBAL_FLAGS[words[i].slice(2)] === 'value' && words[i].startsWith('--') && !words[i].includes('=') ? 2 : 1;
  if (i > words.length - 1) return words.at(-2) === '--profile' ? { need: 'profiles' } : { candidates: [] };
  const before = words.slice(i, -1);
  if (before.length === 0) {
    if (current.startsWith('-')) return { candidates: Object.keys(GLOBAL_FLAGS).map((f) => `--${f}`) };
    return { candidates: [...Object.keys(table).filter((c) => !table[c].hidden), 'help', 'version'].sort() };
  }
  const [cmd] = before;
  const info = table[cmd];
  if (!info) return { candidates: [] };
  const previous = before.at(-1)!;
  const value = VALUES[previous];
  if (before.length > 1 && value !== undefined) return value === 'profiles' ? { need: 'profiles' } : { candidates: value };
  const flags = OWN_FLAGS[cmd] ?? (FLAGS[cmd] ? [...FLAGS[cmd], ...CONNECTION] : ['--help']);
  if (current.startsWith('-')) return { candidates: flags };
  // a flag that takes a value (any but the known booleans) swallows the next word: nothing to offer there
  if (previous.startsWith('--') && !BOOLEAN.has(previous) && !previous.includes('=')) return { candidates: [] };
  const positionals = positionalsOf(before.slice(1));
  const verbs = info.subcommands ?? [];
  if (cmd === 'completion') return { candidates: positionals.length === 0 ? verbs : [] };
  if (cmd === 'profile') return positionals.length === 0 ? { candidates: verbs } : positionals.length === 1 && positionals[0] !== 'ls' ? { need: 'profiles' } : { candidates: [] };
  const hasVerbs = verbs.length > 0 && cmd !== 'config';
  if (hasVerbs && positionals.length === 0) return { candidates: verbs };
  if (cmd === 'config' && positionals.length === 0) return { need: 'services', also: verbs };
  if (cmd === 'config' && positionals.length === 1 && verbs.includes(positionals[0])) return { need: 'services' };
  // after `config set|unset|show SERVICE`: the config's keys, dotted ones from the service's own config
  // (set: `key=` and `key.`, after which the shell adds no space)
  const verb = positionals[0];
  if (cmd === 'config' && positionals.length >= 2 && (verb === 'set' || verb === 'unset' || verb === 'show')) {
    return { need: 'config-keys', service: positionals[1], verb };
  }
  // `paz config SERVICE KEY...` shows those keys
  if (cmd === 'config' && positionals.length >= 1 && !verbs.includes(verb)) return { need: 'config-keys', service: verb, verb: 'show' };
  if (TAKES_SERVICE.has(cmd) && positionals.length === (hasVerbs ? 1 : 0)) return { need: 'services' };
  return { candidates: [] };
}

const BOOLEAN = new Set(['--json', '--wait', '--detach', '--follow', '--token-stdin', '--password-stdin', '--rotate', '--serve', '--values', '--recursive', '--help', ...Object.entries(roleOptions).filter(([, o]) => o.type === 'boolean').map(([k]) => `--${k}`)]);

/** The positional words among `args`, skipping flags and the values of flags that take one. */
function positionalsOf(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      if (a.startsWith('--') && !a.includes('=') && !BOOLEAN.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The candidates that begin with what was typed. */
export function matching(candidates: string[], typed: string): string[] {
  return candidates.filter((c) => c.startsWith(typed));
}
