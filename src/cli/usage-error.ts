/**
 * A command used wrongly (unknown flag, missing argument, bad value): `paz` exits 2 for these and 1
 * for a command that ran and failed. Also turns Node's parseArgs errors into Paz's own words.
 */
import { closest } from './closest.js';

export class UsageError extends Error {}

/** `paz CMD VERB` with a verb CMD does not have: the nearest one, and the ones it has. */
export function unknownVerb(cmd: string, verb: string, verbs: string[]): UsageError {
  const near = closest(verb, verbs);
  return new UsageError(`unknown command "paz ${cmd} ${verb}"${near ? ` (did you mean paz ${cmd} ${near}?)` : ''}; paz ${cmd} has ${verbs.join(', ')}`);
}

/** Paz's words for a parseArgs error, with the nearest known flag when one is close. */
export function usageErrorFrom(err: unknown, optionNames: string[]): UsageError | undefined {
  const { code, message } = err as { code?: string; message?: string };
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const quoted = /'([^']*)'/.exec(message ?? '')?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted.replace(/^-+/, '');
      const near = closest(flag, optionNames);
      return new UsageError(`unknown option ${quoted}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0];
      if (/argument missing/.test(message ?? '')) return new UsageError(`option ${flag} needs a value`);
      // `--agent-port -5`: parseArgs takes the value for another option and will not guess
      if (/ambiguous/.test(message ?? '')) return new UsageError(`option ${flag} needs a value; one that starts with "-" goes as ${flag}=VALUE`);
      return new UsageError(`option ${flag} takes no value`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${quoted}`);
    default:
      return new UsageError('bad arguments');
  }
}
