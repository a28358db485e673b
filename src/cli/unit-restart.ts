/**
 * `paz restart NAME --unit U`: one instance replaced by a fresh one, then retired (no gap); by default it follows
 * the restart until the old instance is retired, or stuck (exit 1, the old one still serving). `--cancel`
 * withdraws a restart under way.
 */
import type { PazClient, UnitRestart } from '../client/paz-client.js';
import { progressLine } from './progress-line.js';
import { colourOn, paint } from './colour.js';
import { print } from './print.js';
import { terminalSafe } from './terminal-safe.js';

/**
 * One line for a person about how the restart goes (pure); `replacementState`: what its agent reports of the new
 * instance. It holds the server's reason, with control characters spelled out (as deployProgress's line), so every
 * place that prints it, coloured or not, shows escape codes instead of obeying them.
 */
export function unitRestartLine(r: UnitRestart, replacementState?: string): string {
  return terminalSafe(restartLineOf(r, replacementState));
}

function restartLineOf(r: UnitRestart, replacementState?: string): string {
  if (r.state === 'replaced') return `${r.unit} restarted: ${r.replacement ?? 'its replacement'} took over, and ${r.unit} is drained and stopped`;
  if (r.state === 'retiring') return `restarting ${r.unit}: ${r.replacement ?? 'its replacement'} took over; ${r.unit} is being drained and stopped`;
  if (r.state === 'stuck') return `${r.unit} cannot be restarted: ${r.reason ?? 'its replacement cannot start'}; ${r.unit} keeps serving (\`paz restart ${r.service} --unit ${r.unit} --cancel\` withdraws it)`;
  if (!r.replacement) return `restarting ${r.unit}: a fresh instance is on its way`;
  return `restarting ${r.unit}: ${r.replacement} ${replacementState ?? 'placed'}; ${r.unit} serves until it is healthy`;
}

export async function restartUnit(client: PazClient, name: string, unit: string, opts: { follow: boolean; json: boolean; cancel: boolean }): Promise<number> {
  if (opts.cancel) {
    const r = await client.withdrawUnitRestart(name, unit);
    if (opts.json) console.log(JSON.stringify(r, null, 2));
    else print(r.withdrawn ? `restart of ${r.unit} withdrawn: a replacement not yet healthy is stopped, ${r.unit} stays` : `no restart of ${r.unit} was under way`);
    return 0;
  }
  const asked = await client.restartUnit(name, unit);
  if (opts.json) console.log(JSON.stringify(asked, null, 2));
  else print(opts.follow ? `restarting ${asked.unit}: a fresh instance replaces it, then it is drained and stopped` : `restarting ${asked.unit}; \`paz restart ${name} --unit ${asked.unit}\` again follows it`);
  if (!opts.follow) return 0;
  const out = opts.json ? process.stderr : process.stdout;
  const progress = progressLine(out);
  for (;;) {
    const r = await client.unitRestart(name, asked.unit);
    if (r.state === 'replacing' || r.state === 'retiring') {
      const replacement = r.replacement ? ((await client.units(name).catch(() => [])).find((u) => u.name === r.replacement) as { state?: string } | undefined) : undefined;
      progress.show(unitRestartLine(r, replacement?.state));
      await new Promise((res) => setTimeout(res, 500));
      continue;
    }
    progress.end();
    if (r.state === 'replaced') {
      out.write(`${paint(colourOn(out), 'green', unitRestartLine(r))}\n`);
      return 0;
    }
    console.error(paint(colourOn(process.stderr), 'red', unitRestartLine(r)));
    return 1;
  }
}
