/**
 * Options given before the command, kubectl and nomad style: `paz --profile prod services`,
 * `paz --url U --token T units web`, `paz --json hosts`, `paz -h`, `paz --version`. They mean exactly what
 * they mean after the command, so they are moved there and the command parses them as its own (a command
 * that does not take one says so, in its own words). Pure.
 */
import { closest } from './closest.js';
import { UsageError } from './usage-error.js';

/** The options that may come before the command, and whether each takes a value. */
export const GLOBAL_FLAGS: Record<string, 'value' | 'switch'> = {
  url: 'value',
  token: 'value',
  profile: 'value',
  'data-dir': 'value',
  json: 'switch',
  help: 'switch',
  version: 'switch',
};

export interface SplitArgv {
  /** the command's name, undefined when none was given (`paz`, `paz -h`, `paz --version`) */
  command?: string;
  /** the command's own arguments, then the global options moved after them (before a `--`, if any) */
  args: string[];
  /** --help / -h with no command */
  help: boolean;
  /** --version with no command */
  version: boolean;
}

/**
 * Splits `paz`'s arguments into the command and its arguments, moving the options before the command to
 * after it. Throws UsageError for an unknown option before the command, a value missing, or options with
 * no command to apply to (`paz --json`).
 */
export function splitGlobalFlags(argv: string[]): SplitArgv {
  const moved: string[] = [];
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    if (word === '-h') {
      help = true;
      moved.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.startsWith('--') ? word.slice(2, eq < 0 ? undefined : eq) : word.slice(1);
    const kind = Object.hasOwn(GLOBAL_FLAGS, name) && word.startsWith('--') ? GLOBAL_FLAGS[name] : undefined;
    if (kind === undefined) {
      const near = closest(name, [...Object.keys(GLOBAL_FLAGS)]);
      const shown = eq < 0 ? word : word.slice(0, eq);
      const list = Object.keys(GLOBAL_FLAGS).map((f) => `--${f}`).join(' ');
      // a command's own option (--tag) goes after the command; the list says which may come first
      throw new UsageError(`unknown option ${shown} before the command ${near ? `(did you mean --${near}?)` : `(the options that may come first: ${list}; the others go after the command)`}`);
    }
    if (kind === 'switch') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      if (name === 'help') help = true;
      if (name === 'version') version = true;
      moved.push(word);
      continue;
    }
    if (eq >= 0) {
      moved.push(word);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('-')) throw new UsageError(`option --${name} needs a value`);
    moved.push(word, value);
    i++;
  }
  const [command, ...rest] = argv.slice(i);
  if (command === undefined) {
    if (help || version) return { args: [], help, version };
    if (moved.length > 0) throw new UsageError(`${moved.join(' ')}: name a command after the options (e.g. paz ${moved.join(' ')} services)`);
    return { args: [], help: false, version: false };
  }
  const end = rest.indexOf('--');
  const args = end < 0 ? [...rest, ...moved] : [...rest.slice(0, end), ...moved, ...rest.slice(end)];
  return { command, args, help: false, version: false };
}
