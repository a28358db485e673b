/** `paz down`: stop the data dir's running Paz, its router and all its units (see roles/stop-everything.ts). */
import { parse, roleConfig } from './options.js';
import { stopEverything } from '../roles/stop-everything.js';
import { UsageError } from './usage-error.js';
import { print, printError } from './print.js';

export const downUsage = `usage: paz down [--data-dir DIR] [--store URL] [--store-ca/--store-cert/--store-key FILE] [--grace SECS]

Stops everything Paz runs on this host for the data dir: the running paz up / paz agent (SIGTERM), a router
(HAProxy) left over from a killed one, and every unit (process-driver units and Docker containers), each
with SIGTERM and SIGKILL after the grace period (default 10 s). The services stay defined: the next
paz up starts them again. Stopping paz up alone (Ctrl-C, SIGTERM) leaves the units running for the next
start to adopt. (--cgroup-parent NAME overrides the cgroup parent the process driver recorded.)

example: paz down --grace 30`;

export async function downCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    'store-ca': { type: 'string' },
    'store-cert': { type: 'string' },
    'store-key': { type: 'string' },
    'cgroup-parent': { type: 'string' },
    grace: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(downUsage);
    return 0;
  }
  const grace = values.grace === undefined ? 10 : Number(values.grace);
  if (!Number.isFinite(grace) || grace < 0 || grace > 3600) throw new UsageError(`--grace must be a number of seconds from 0 to 3600, got "${values.grace}"`);
  const cfg = roleConfig(values);
  const report = await stopEverything({
    dataDir: cfg.dataDir,
    storeUrl: cfg.storeUrl,
    storeTls: cfg.storeTls,
    cgroupParent: cfg.agent.cgroupParent,
    graceSeconds: grace,
    say: (line) => printError(`paz down: ${line}`),
  });
  const parts = [
    report.paz ? `paz ${report.paz.role} pid ${report.paz.pid} ${report.paz.killed ? 'killed' : 'stopped'}` : 'no paz running',
    `${report.haproxy.length} leftover router process(es)`,
    `${report.processUnits.length} process unit(s)`,
    `${report.containers.length} container(s)`,
  ];
  print(`stopped: ${parts.join(', ')} (data dir ${cfg.dataDir})`);
  return 0;
}
