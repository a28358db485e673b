/**
 * Colour for a person at a terminal only: never into a pipe, a file or a CI log, never with NO_COLOR set
 * (no-color.org) or TERM=dumb; FORCE_COLOR=1 asks for it anyway (a pager that shows it). Pure.
 */
export function colourOn(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const CODES = { green: 32, yellow: 33, red: 31, blue: 34, magenta: 35, cyan: 36 } as const;

export type Colour = keyof typeof CODES;

export function paint(on: boolean, colour: Colour, text: string): string {
  return on ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/** A health word in its colour: healthy green, degraded yellow, anything else (unhealthy) red. */
export function paintHealth(on: boolean, status: string): string {
  return paint(on, status === 'healthy' ? 'green' : status === 'degraded' ? 'yellow' : 'red', status);
}
