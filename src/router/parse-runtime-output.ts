/**
 * Parsers for the text HAProxy's runtime API and master CLI answer (pure). Field names are HAProxy's
 * own (`pxname`, `svname`, `scur`, `srv_op_state`, ...), so its management guide documents them.
 */

/** One row of `show stat`: every CSV column by its header name, values as text ('' when empty). */
export type StatRow = Record<string, string>;

/**
 * `show stat` answers CSV whose first line is `# pxname,svname,...`. HAProxy never quotes fields and
 * never puts commas inside values of the columns we read; a trailing comma ends every line.
 */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const headerLine = lines.find((line) => line.startsWith('# '));
  if (!headerLine) throw new Error(`show stat: no "# pxname,..." header in answer: ${text.slice(0, 200)}`);
  const header = headerLine.slice(2).split(',');
  return lines
    .filter((line) => !line.startsWith('#'))
    .map((line) => {
      const values = line.split(',');
      const row: StatRow = {};
      header.forEach((name, i) => {
        if (name !== '') row[name] = values[i] ?? '';
      });
      return row;
    });
}

/** One server of `show servers state`, by the column names of its `# be_id be_name ...` header. */
export type ServerStateRow = Record<string, string>;

/** `show servers state [backend]`: a format version line, a `# ...` header, then space-separated rows. */
export function parseServersState(text: string): ServerStateRow[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const headerLine = lines.find((line) => line.startsWith('# '));
  if (!headerLine) throw new Error(`show servers state: no "# be_id ..." header in answer: ${text.slice(0, 200)}`);
  const header = headerLine.slice(2).trim().split(/\s+/);
  return lines
    .filter((line) => !line.startsWith('#') && /\s/.test(line.trim()))
    .map((line) => {
      const values = line.trim().split(/\s+/);
      const row: ServerStateRow = {};
      header.forEach((name, i) => {
        row[name] = values[i] ?? '';
      });
      return row;
    });
}

/** `show info`: `Name: value` lines. */
export function parseShowInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) info[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return info;
}

export interface ProcessList {
  masterPid: number;
  /** how many times the master reloaded, and how many of those reloads failed */
  reloads: number;
  failedReloads: number;
  /** workers serving the current configuration */
  workers: number[];
  /** workers of earlier configurations still finishing their connections */
  oldWorkers: number[];
}

/**
 * The master CLI's `show proc`:
 * ```
 * #<PID>          <type>          <reloads>       <uptime>        <version>
 * 5503            master          1 [failed: 0]   0d00h00m21s     2.6.12-1+deb12u4
 * # workers
 * 5850            worker          0               0d00h00m01s     2.6.12-1+deb12u4
 * # old workers
 * 5506            worker          1               0d00h00m20s     2.6.12-1+deb12u4
 * # programs
 * ```
 */
export function parseShowProc(text: string): ProcessList {
  let section: 'head' | 'workers' | 'old' | 'other' = 'head';
  const result: ProcessList = { masterPid: 0, reloads: 0, failedReloads: 0, workers: [], oldWorkers: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line === '# workers') section = 'workers';
      else if (line === '# old workers') section = 'old';
      else if (!line.startsWith('#<PID>')) section = 'other';
      continue;
    }
    const fields = line.split(/\s+/);
    const pid = Number(fields[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (fields[1] === 'master') {
      result.masterPid = pid;
      result.reloads = Number(fields[2]) || 0;
      const failed = /\[failed:\s*(\d+)\]/.exec(line);
      result.failedReloads = failed ? Number(failed[1]) : 0;
    } else if (fields[1] === 'worker') {
      if (section === 'workers') result.workers.push(pid);
      else if (section === 'old') result.oldWorkers.push(pid);
    }
  }
  if (result.masterPid === 0) throw new Error(`show proc: no master line in answer: ${text.slice(0, 200)}`);
  return result;
}
