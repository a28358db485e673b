/**
 * The router of one host: HAProxy routing `Host: <svc>.paz` / `<svc>.<domain>` to the instances of each
 * service. The agent watches endpoint keys and calls `apply()` with the whole table each time; the
 * router works out the smallest change (runtime API commands when the slots allow it, a hitless
 * reload when backends or slot counts change) and keeps HAProxy running.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { HaproxyConfigError, HaproxyProcess, type HaproxyProcessOptions } from './haproxy-process.js';
import { HaproxyRuntime } from './haproxy-runtime.js';
import { actionsAfterStart, planChanges, type SlotAction } from './plan-changes.js';
import { HOST_MAP_FILE, InvalidRenderOptionsError, renderConfig, renderHostMap, validateRenderOptions, type RenderOptions } from './render-config.js';
import { assertValidRouteTable, type RouteTable } from './route-table.js';
import { routerThreadsFor } from '../core/router-threads.js';
import { backendName, emptyLayout, slotServerName, type RouterLayout } from './router-layout.js';
import { drainingInFlight, type InFlight, type OldWorkerStats } from './drain-sessions.js';
import { parseShowStat, type ProcessList } from './parse-runtime-output.js';
import { buildRouterStats, countersOf, cumulativeOf, slotKey, type CumulativeCounters, type RouterStats } from './router-stats.js';

export interface RouterOptions extends Omit<RenderOptions, 'adminSocketPath' | 'mapDir'> {
  /** directory for haproxy.cfg and the sockets; created if missing, owned by this router */
  runtimeDir: string;
  logger?: Logger;
  haproxyBinary?: string;
  process?: Pick<HaproxyProcessOptions, 'startTimeoutMs' | 'reloadTimeoutMs' | 'stopTimeoutMs' | 'restartBackoff' | 'stableAfterMs'>;
}

export interface ApplyResult {
  /** true when HAProxy loaded a new configuration */
  reloaded: boolean;
  reloadReasons: string[];
  /** runtime API commands sent (0 when reloaded or when nothing changed) */
  runtimeCommands: number;
}

export class Router {
  readonly runtime: HaproxyRuntime;
  private readonly haproxy: HaproxyProcess;
  private readonly log: Logger;
  private readonly renderOptions: RenderOptions;
  private layout: RouterLayout = emptyLayout('paz');
  /** per slot, the cumulative counters it had when its current instance moved in */
  private readonly baselines = new Map<string, CumulativeCounters>();
  /** set when HAProxy may not hold `layout` (a failed command or reload): the next apply reloads */
  private outOfSync = false;
  private running = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RouterOptions) {
    const { runtimeDir, logger, haproxyBinary, process: processOptions, ...render } = options;
    this.log = logger ?? pino({ name: 'paz-router' });
    // the CPUs this process may run on (its affinity), which HAProxy, its child, inherits
    this.renderOptions = { ...render, threads: render.threads ?? routerThreadsFor(availableParallelism()), adminSocketPath: join(runtimeDir, 'admin.sock'), mapDir: runtimeDir };
    const problems = validateRenderOptions(this.renderOptions);
    if (problems.length > 0) throw new InvalidRenderOptionsError(problems);
    this.runtime = new HaproxyRuntime(this.renderOptions.adminSocketPath);
    this.haproxy = new HaproxyProcess({
      runtimeDir,
      renderConfig: () => {
        const hostMap = renderHostMap(this.layout);
        return { config: renderConfig(this.layout, this.renderOptions), files: hostMap ? [hostMap] : [] };
      },
      logger: this.log,
      listen: [
        { address: render.bindAddress, port: render.port },
        ...(render.tls ? [{ address: render.bindAddress, port: render.tls.port, flag: '--router-https-port (PAZ_ROUTER_HTTPS_PORT)' }] : []),
      ],
      ...(haproxyBinary ? { binary: haproxyBinary } : {}),
      ...processOptions,
    });
    this.haproxy.on('restarted', () => {
      void this.serialize(async () => {
        this.baselines.clear();
        await this.afterNewWorkers();
      }).catch((error: unknown) => this.log.error({ err: error }, 'router: setting up restarted haproxy failed'));
    });
  }

  get configPath(): string {
    return this.haproxy.configPath;
  }

  /** Starts HAProxy serving `initial` (by default no service: every request gets the 404). */
  async start(initial: RouteTable = { domain: 'paz', services: [] }): Promise<void> {
    assertValidRouteTable(initial);
    await this.serialize(async () => {
      if (this.running) throw new Error('router already started');
      await mkdir(this.options.runtimeDir, { recursive: true, mode: 0o700 });
      // host maps a killed router left behind: the config written next names its own
      for (const f of await readdir(this.options.runtimeDir)) if (HOST_MAP_FILE.test(f)) await rm(join(this.options.runtimeDir, f), { force: true });
      this.layout = planChanges(emptyLayout(initial.domain), initial).next;
      this.baselines.clear();
      await this.haproxy.start();
      this.running = true;
      // HAProxy already serves the table (draining servers with weight 0); should setting their DRAIN
      // state fail, the next apply reloads instead of failing the start.
      await this.afterNewWorkers().catch((error: unknown) => this.log.warn({ err: error }, 'router: could not set drain states after start'));
    });
  }

  /** Makes HAProxy route `table`; concurrent calls run one after the other, in call order. */
  async apply(table: RouteTable): Promise<ApplyResult> {
    assertValidRouteTable(table);
    return this.serialize(() => this.applyNow(table));
  }

  async stats(): Promise<RouterStats> {
    const [rows, workerPid] = await Promise.all([this.runtime.showStat(), this.runtime.workerPid()]);
    return buildRouterStats(rows, this.layout, this.baselines, workerPid);
  }

  /**
   * Requests in flight on each draining server, over the current worker and the old workers a reload
   * left behind (read through the master CLI's `@!<pid>`). Runs between applies, so it never sees a
   * half-applied table; `oldWorkers` is how many old workers were asked.
   */
  async drainingInFlight(timeoutMs = 1000): Promise<{ draining: Record<string, InFlight>; oldWorkers: number }> {
    return this.serialize(async () => {
      const layout = this.layout;
      if (!layout.backends.some((b) => b.slots.some((s) => s?.state === 'drain'))) return { draining: {}, oldWorkers: 0 };
      const [rows, procs] = await Promise.all([this.runtime.showStat(), this.haproxy.processes(timeoutMs)]);
      const old = await Promise.all(
        procs.oldWorkers.map(async (pid): Promise<OldWorkerStats> => {
          try {
            const answer = await this.haproxy.masterCommand(`@!${pid} show stat`, timeoutMs);
            if (!answer.startsWith('# pxname')) return { pid, error: answer.trim().slice(0, 200) || 'empty answer' };
            return { pid, rows: parseShowStat(answer) };
          } catch (error) {
            return { pid, error: (error as Error).message };
          }
        }),
      );
      return { draining: drainingInFlight(layout, rows, old), oldWorkers: procs.oldWorkers.length };
    });
  }

  /** HAProxy's master and worker PIDs (the master CLI's `show proc`). */
  processes(): Promise<ProcessList> {
    return this.haproxy.processes();
  }

  get masterPid(): number | undefined {
    return this.haproxy.masterPid;
  }

  async stop(): Promise<void> {
    await this.serialize(async () => {
      this.running = false;
      await this.haproxy.stop();
    });
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(table: RouteTable): Promise<ApplyResult> {
    if (!this.running) throw new Error('router is not started');
    const plan = planChanges(this.layout, table);
    const reloadReasons = this.outOfSync ? [...plan.reloadReasons, 'haproxy may not hold the last table'] : plan.reloadReasons;
    const previous = this.layout;
    this.layout = plan.next;

    if (reloadReasons.length === 0) {
      if (plan.actions.length === 0) return { reloaded: false, reloadReasons, runtimeCommands: 0 };
      try {
        await this.recordBaselines(plan.assignedSlots);
        await this.runActions(plan.actions);
        this.log.info({ commands: plan.actions.length }, 'router: routes updated through the runtime API');
        return { reloaded: false, reloadReasons, runtimeCommands: plan.actions.length };
      } catch (error) {
        // The configuration describes the whole table, so a reload converges whatever state the
        // commands left HAProxy in.
        this.log.warn({ err: error }, 'router: runtime API update failed; reloading instead');
        reloadReasons.push('runtime API update failed');
      }
    }

    try {
      await this.haproxy.reload();
    } catch (error) {
      if (error instanceof HaproxyConfigError) {
        // HAProxy still runs the previous configuration, which matches the previous layout.
        this.layout = previous;
      } else {
        this.outOfSync = true;
      }
      throw error;
    }
    this.outOfSync = false;
    this.baselines.clear(); // new workers count from zero
    this.log.info({ reasons: reloadReasons }, 'router: haproxy reloaded');
    await this.afterNewWorkers();
    return { reloaded: true, reloadReasons, runtimeCommands: 0 };
  }

  /** Brings freshly started workers from the rendered configuration to the full layout (drain states). */
  private async afterNewWorkers(): Promise<void> {
    try {
      await this.runActions(actionsAfterStart(this.layout));
    } catch (error) {
      this.outOfSync = true;
      throw error;
    }
  }

  private async runActions(actions: SlotAction[]): Promise<void> {
    for (const action of actions) await this.runtime.run(action);
  }

  /** Remembers the counters of slots about to receive a new instance, so its numbers start at zero. */
  private async recordBaselines(slots: Array<{ service: string; slot: number }>): Promise<void> {
    if (slots.length === 0) return;
    const rows = await this.runtime.showStat();
    for (const { service, slot } of slots) {
      const row = rows.find((r) => r.pxname === backendName(service) && r.svname === slotServerName(slot));
      this.baselines.set(slotKey(service, slot), cumulativeOf(countersOf(row)));
    }
  }
}
