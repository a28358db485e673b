/**
 * Runs one unit on this host for as long as it is desired here: pull, start, probe, announce when healthy,
 * withdraw and restart (with backoff) when it dies or turns unhealthy, and on retire withdraw, stop and
 * remove. Every state change is reported to the store under the agent's lease.
 */
import type { Logger } from 'pino';
import type { Driver, DriverEvent, UnitRuntime, UnitSpec } from './drivers/driver.js';
import { DriverError, artifactOf } from './drivers/driver.js';
import { PROCESS_UP_STATES, type DesiredUnit, type UnitState, type UnitStatus } from '../core/records.js';
import { keys } from '../core/keys.js';
import { INITIAL_HEALTH, RUNNING_ONLY_HEALTHY_AFTER_MS, firstProbeDelayMs, healthSettings, observeProbe, restartDelayMs, slowStartHint, type HealthSettings, type HealthState } from '../core/health-policy.js';
import type { LeaseSession } from '../state/lease-session.js';
import { runProbe, type ProbeResult } from './health-probe.js';
import { chooseProbe, describeProbe, type ProbeChoice } from '../core/probe-choice.js';
import { exitWhy } from './exit-reason.js';
import { keptOutput, readLastOutput, reasonWithOutput } from './unit-output.js';
import { runsWantedImage } from '../core/image-ref.js';
import type { ImagePinning } from './image-pin.js';
import type { RegistryLogins } from '../state/registry-logins.js';
import { loginForPull } from './pull-login.js';
import type { SecretKey } from '../core/secret-box.js';
import { openSecretEnv, SecretEnvError } from '../core/secret-env.js';
import { checkVolumesOnHost } from './volume-guard.js';
import { killedStopEntry, type KilledStop } from '../core/stop-journal.js';
import type { Store } from '../store/store.js';
import type { PulledRepositories } from './pulled-repositories.js';

export interface RunnerDeps {
  driver: Driver;
  session: LeaseSession;
  hostId: string;
  /** the address other hosts reach this host's published ports at */
  endpointAddress: string;
  /** where the agent itself reaches published ports (loopback) */
  probeAddress: string;
  logger: Logger;
  /** the port this host's router listens on, when it runs one */
  routerPort?: number;
  /** pins unpinned versions to the digest of their first pull (docker); absent: run the spec's image */
  pinning?: ImagePinning;
  /** written down before each pull (docker), for the image collector; absent: nothing written down */
  pulledRepositories?: PulledRepositories;
  /** registry credentials for pulls (docker); absent: anonymous pulls */
  registryLogins?: RegistryLogins;
  /** opens the unit's secret env values (spec.secretEnv) right before its container or process is created */
  secretKey?: SecretKey;
  /** the directory host volumes must lie under on this host (agent/volume-guard.ts); absent: no host volumes */
  volumeRoot?: string;
  now?: () => number;
  /** where the journal is written (an instance that had to be killed at its stop); absent: not journaled */
  store?: Store;
  /** how long a transient state lasts before it is written (default TRANSIENT_REPORT_MS) */
  transientReportMs?: number;
}

/** Healthy this long without a restart resets the backoff. */
const STABLE_AFTER_MS = 60_000;
/** A probe result that repeats the last one is written to the store at most this often (one write per probe would not scale). */
const PROBE_REPORT_EVERY_MS = 10_000;
/** How long a fence waits for what the runner was doing before stopping whatever that left running. */
const FENCE_BUSY_WAIT_MS = 30_000;
/** how long a transient state (pulling, starting) lasts before it is written (reportTransient) */
export const TRANSIENT_REPORT_MS = 100;

export interface RunnerOptions {
  /** the status this unit had, from an earlier agent */
  previous?: UnitStatus;
  /** the service's `loadBalanced` in the unit's version (default true): picks the default probe */
  loadBalanced?: boolean;
}

/**
 * The driver's view of a desired unit. A unit asking for the host port the router listens on (the seed's
 * `{"container": 9000, "host": 80}`) gets a free port instead and is served on that port through the router.
 */
export function toDriverSpec(d: DesiredUnit, routerPort?: number, secretEnv: Record<string, string> = {}): UnitSpec {
  return {
    unit: d.unit,
    service: d.service,
    version: d.version,
    instance: d.instance,
    image: d.spec.image,
    command: d.spec.command,
    ports: d.spec.ports.map((p) => ({
      container: p.container,
      host: p.host !== undefined && p.host === routerPort && (p.protocol ?? 'tcp') === 'tcp' ? undefined : p.host,
      protocol: p.protocol ?? 'tcp',
    })),
    // the identity variables (PAZ_*) are in spec.env and never among the secrets (runSpecFor)
    env: { ...d.spec.env, ...secretEnv },
    volumes: d.spec.volumes,
    cpus: d.spec.cpus,
    memoryMb: d.spec.memoryMb,
  };
}

/** ms; when the driver says the unit's process started (Docker's State.StartedAt, the process driver's spawn) */
function startOf(rt: UnitRuntime): number | undefined {
  const at = rt.startedAt ? Date.parse(rt.startedAt) : NaN;
  return Number.isFinite(at) && at > 0 ? at : undefined;
}

export class UnitRunner {
  readonly status: UnitStatus;
  private retired = false;
  /** a kill at a restart was journaled already (core/stop-journal.ts) */
  private restartKillJournaled = false;
  /** stopped because the agent was cut off from the store (fence()) */
  private fenced = false;
  private timer: NodeJS.Timeout | undefined;
  private probing: NodeJS.Timeout | undefined;
  /** bumped whenever probing stops: a probe that started before must not announce anything */
  private probeGeneration = 0;
  private health: HealthState = INITIAL_HEALTH;
  private runningSince = 0;
  private consecutiveRestarts = 0;
  private busy: Promise<void> = Promise.resolve();
  /** endpoint writes in call order, so a withdraw is never overtaken by an older announce */
  private endpointWrites: Promise<void> = Promise.resolve();
  private lastProbeWrittenAt = 0;
  /** a transient state waiting to be written (reportTransient) */
  private transientReport: NodeJS.Timeout | undefined;
  /** aborts a pull in progress when the unit is retired */
  private readonly pulling = new AbortController();
  private readonly now: () => number;
  private readonly healthConfig: HealthSettings;
  private readonly loadBalanced: boolean | undefined;

  constructor(
    readonly desired: DesiredUnit,
    private readonly deps: RunnerDeps,
    opts: RunnerOptions = {},
  ) {
    const previous = opts.previous;
    this.now = deps.now ?? Date.now;
    this.loadBalanced = opts.loadBalanced;
    this.healthConfig = healthSettings(desired.spec.healthCheck);
    this.status = {
      unit: desired.unit,
      host: deps.hostId,
      state: 'pending',
      healthy: false,
      restarts: previous && previous.host === deps.hostId ? previous.restarts : 0,
      image: desired.spec.image,
      updatedAt: this.now(),
    };
  }

  get unit(): string {
    return this.desired.unit;
  }

  private get endpointKey(): string {
    return keys.endpoint(this.desired.service, this.desired.version, this.desired.instance);
  }

  /** Starts managing the unit; `adopted` is what the driver already runs for it (agent restart). */
  start(adopted?: UnitRuntime): void {
    this.serial(async () => {
      if (adopted && adopted.state === 'running' && runsWantedImage(adopted.image, this.desired.spec.image)) {
        this.deps.logger.info({ unit: this.unit, id: adopted.id }, 'adopted running instance');
        // it ran before this agent: a probe-less unit need not wait its whole start-up time again
        const started = startOf(adopted);
        const ranForMs = started !== undefined ? Math.max(0, this.now() - started) : 0;
        this.onRunning(adopted, 'adopted after agent restart', ranForMs);
        return;
      }
      if (adopted) await this.deps.driver.remove(this.unit).catch(() => undefined);
      await this.launch();
    });
  }

  /** A driver event for this unit. */
  onEvent(e: DriverEvent): void {
    if (e.type !== 'die' && e.type !== 'oom') return;
    this.serial(async () => {
      if (this.retired || !PROCESS_UP_STATES.has(this.status.state)) return;
      const rt = await this.deps.driver.inspect(this.unit).catch(() => undefined);
      if (rt?.state === 'running') return;
      await this.onExited(rt?.exitCode ?? e.exitCode, rt?.oomKilled ?? e.type === 'oom');
    });
  }

  private serial(fn: () => Promise<void>): void {
    this.busy = this.busy.then(fn).catch((err) => this.deps.logger.error({ err, unit: this.unit }, 'unit runner error'));
  }

  /**
   * A transient state ('pulling', 'starting') reaches the store only if it lasts TRANSIENT_REPORT_MS: an image
   * already here and a quick start are over before anyone could look, and the state after them says more. Each
   * was a store write of its own on a busy agent, as the unit's steps happen in different event-loop turns
   * (bench/scheduling, 1,000 hosts of 1 unit: 3 status writes per instance). A slow pull or start is reported
   * as before, a moment later.
   */
  private reportTransient(state: UnitState, patch: Partial<UnitStatus>): void {
    if (this.retired) return;
    this.applyStatus(state, patch);
    if (this.transientReport) return;
    this.transientReport = setTimeout(() => {
      this.transientReport = undefined;
      if (!this.retired) void this.writeStatus();
    }, this.deps.transientReportMs ?? TRANSIENT_REPORT_MS);
    this.transientReport.unref();
  }

  private async report(state: UnitState, patch: Partial<UnitStatus> = {}): Promise<void> {
    if (this.retired && state !== 'stopping') return;
    this.applyStatus(state, patch);
    await this.writeStatus();
  }

  private applyStatus(state: UnitState, patch: Partial<UnitStatus>): void {
    const wasHealthy = this.status.healthy;
    Object.assign(this.status, patch, { state, updatedAt: this.now() });
    // fields cleared are set undefined, not deleted: JSON leaves them out all the same, and an object whose
    // properties are deleted turns into a slow dictionary (a status changes several times per start)
    if (state !== 'exited' && state !== 'failed' && patch.exitCode === undefined) this.status.exitCode = undefined;
    if (!this.status.healthy) this.status.healthySince = undefined;
    // since when it is down, through its restarts, for health (health-levels.ts): from losing its health or
    // from its first exit or failure, until it is healthy again
    if (this.status.healthy) this.status.unhealthySince = undefined;
    else if (this.status.unhealthySince === undefined && (wasHealthy || state === 'exited' || state === 'failed' || state === 'unhealthy')) this.status.unhealthySince = this.now();
  }

  /** Writes the unit's current status (the latest of whatever was reported). */
  private async writeStatus(): Promise<void> {
    if (this.transientReport) clearTimeout(this.transientReport);
    this.transientReport = undefined;
    if (this.status.lastProbe) this.lastProbeWrittenAt = this.now();
    await this.deps.session.put(keys.unitStatus(this.unit), JSON.stringify(this.status)).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'status write failed'));
  }

  private async launch(): Promise<void> {
    if (this.retired) return;
    const { driver } = this.deps;
    let image = artifactOf(driver.name, this.desired.spec);
    try {
      // the API checked the paths as written; this host checks what they are here, before anything runs
      checkVolumesOnHost(this.desired.spec.volumes, this.deps.volumeRoot);
      if (this.deps.pinning) image = await this.deps.pinning.imageToPull(this.desired, image);
      // Progress reports are not waited for (like 'running'): the lease session writes each key's latest value,
      // so a pull and a start that take no time reach the store as one write of the newest state instead of
      // a round trip each, one after another (on etcd, 3 status writes per instance became 1-2, bench/scheduling)
      this.reportTransient('pulling', { reason: `pulling ${image}`, healthy: false });
      const login = driver.name === 'docker' ? await loginForPull(this.deps.registryLogins, image) : undefined;
      if (driver.name === 'docker') {
        try {
          this.deps.pulledRepositories?.note(image);
        } catch (err) {
          // the unit starts all the same; only its image may outlive its service on this host
          this.deps.logger.warn({ unit: this.unit, err: (err as Error).message }, 'could not write down the repository pulled for the image collector');
        }
      }
      try {
        let lastReport = 0;
        await driver.pull(
          image,
          (p) => {
            this.deps.logger.debug({ unit: this.unit, progress: p.status }, 'pull');
            // the unit's reason shows the pull's progress, at most once a second
            if (this.now() - lastReport < 1000) return;
            lastReport = this.now();
            const size = p.total ? ` (${Math.round((p.current ?? 0) / 1048576)} of ${Math.round(p.total / 1048576)} MiB)` : '';
            this.reportTransient('pulling', { reason: `pulling ${image}: ${p.status}${size}` });
          },
          this.pulling.signal,
          login,
        );
      } catch (err) {
        if (this.retired) return;
        // A registry that is down does not stop an instance whose image is already here.
        if (!(err instanceof DriverError && err.code === 'REGISTRY_UNREACHABLE' && (await driver.hasImage(image)))) throw err;
        this.deps.logger.warn({ unit: this.unit, err: (err as Error).message }, 'pull failed, using the local image');
      }
      if (this.retired) return;
      if (this.deps.pinning) image = await this.deps.pinning.imageToStart(this.desired, image);
      this.reportTransient('starting', { reason: undefined, image: driver.name === 'docker' ? image : this.desired.spec.image });
      const secretEnv = openSecretEnv(this.deps.secretKey, this.desired.service, this.desired.spec.secretEnv);
      const rt = await driver.start({ ...toDriverSpec(this.desired, this.deps.routerPort, secretEnv), ...(driver.name === 'docker' ? { image } : {}) });
      this.onRunning(rt, undefined);
    } catch (err) {
      if (this.retired) return;
      if (err instanceof SecretEnvError) {
        // another try opens it no better: failed until the unit is deployed again or the agent gets the right key
        this.deps.logger.error({ unit: this.unit, reason: err.message }, 'a secret of the unit cannot be opened');
        await this.report('failed', { reason: `SECRET_UNREADABLE: ${err.message}`, healthy: false });
        return;
      }
      let reason = err instanceof DriverError ? `${err.code}: ${err.message}` : `start failed: ${(err as Error).message}`;
      // a service made for Docker on a host that runs processes: its image name was taken as the program
      if (err instanceof DriverError && err.code === 'IMAGE_NOT_FOUND' && driver.name === 'process' && !(this.desired.spec.command?.length)) {
        reason += ` (this host's agent runs units as processes and the service has no command, so its image was taken as the program: give the service a command, or run images on a host whose agent uses Docker)`;
      }
      await this.report('failed', { reason, healthy: false });
      this.retryLater(() => this.launch());
    }
  }

  private onRunning(rt: UnitRuntime, reason: string | undefined, ranForMs = 0): void {
    this.runningSince = this.now();
    this.health = INITIAL_HEALTH;
    const endpointPort = this.endpointPort(rt);
    const probe = chooseProbe({ check: this.desired.spec.healthCheck, ports: this.desired.spec.ports, loadBalanced: this.loadBalanced, runtime: rt });
    void this.report('running', {
      containerId: rt.id,
      ports: rt.ports,
      endpoint: endpointPort ? `${this.deps.endpointAddress}:${endpointPort}` : undefined,
      // when the driver says the process started: the same whether this agent started it or adopted it from the
      // one before, so an agent restart is not a start of the app (the dashboard's "started", and `paz logs -f`,
      // which takes a new start for a restart of the app, read it)
      startedAt: startOf(rt) ?? this.runningSince,
      reason: reason ?? (probe.kind === 'none' ? `${probe.note}: healthy once it has run ${RUNNING_ONLY_HEALTHY_AFTER_MS / 1000} s` : `waiting for the health check: ${describeProbe(probe)}`),
      healthy: false,
      lastProbe: undefined,
    });
    this.startProbing(probe, ranForMs);
  }

  private endpointPort(rt: UnitRuntime): number | undefined {
    const want = this.desired.spec.healthCheck?.port ?? this.desired.spec.ports[0]?.container;
    if (want === undefined) return undefined;
    return rt.ports.find((p) => p.container === want)?.host;
  }

  private startProbing(probe: ProbeChoice, ranForMs: number): void {
    this.stopProbing();
    const generation = this.probeGeneration;
    const cfg = this.healthConfig;
    const tick = async () => {
      if (this.retired || generation !== this.probeGeneration) return;
      const r = await runProbe(probe, this.deps.probeAddress, cfg.timeoutMs);
      if (this.retired || generation !== this.probeGeneration) return;
      const { state, verdict } = observeProbe(this.health, r.ok, r.error, this.now() - this.runningSince, cfg);
      this.health = state;
      if (verdict === 'became-healthy') {
        const passedAt = this.now();
        // Announced first, then reported healthy: whoever acts on "healthy" (a rollout draining the old
        // version) finds the endpoint already on its way to the routers. Only what this probe found healthy
        // is announced, and nothing once probing stopped (the generation check runs before the write is queued).
        if (this.status.endpoint) await this.announce(this.status.endpoint);
        if (this.retired || generation !== this.probeGeneration) return;
        await this.report('healthy', { healthy: true, healthySince: passedAt, lastProbe: this.probeRecord(r), lastOutput: undefined, reason: probe.kind === 'none' ? probe.note : undefined });
      } else if (verdict === 'became-unhealthy') {
        this.stopProbing();
        await this.withdraw();
        const wasHealthy = this.status.healthy;
        const delay = this.retryLater(() => this.restart(`unhealthy: ${state.lastError ?? 'no answer'}`));
        const what = wasHealthy ? 'stopped answering' : 'never became healthy';
        await this.report('unhealthy', {
          healthy: false,
          lastProbe: this.probeRecord(r),
          reason: `${what}: health check (${describeProbe(probe)}) failed ${state.failures} times: ${state.lastError ?? 'no answer'}${!wasHealthy && r.notListening ? slowStartHint(cfg.graceMs) : ''}; restart ${this.consecutiveRestarts} in ${Math.round(delay / 1000)} s`,
        });
        return;
      } else if (this.probeWorthWriting(r)) {
        await this.report(this.status.state, { lastProbe: this.probeRecord(r) });
      } else {
        this.status.lastProbe = this.probeRecord(r);
      }
      if (this.health.healthy && this.status.healthySince !== undefined && this.now() - this.status.healthySince > STABLE_AFTER_MS) this.consecutiveRestarts = 0;
      if (generation === this.probeGeneration) this.probing = setTimeout(() => void tick(), cfg.intervalMs);
    };
    // a unit without a probe is healthy once it has kept running a while (firstProbeDelayMs): one that exits
    // before stops probing (onExited), so it is never reported healthy
    this.probing = setTimeout(() => void tick(), firstProbeDelayMs(probe.kind, cfg.intervalMs, ranForMs));
  }

  private probeRecord(r: ProbeResult): NonNullable<UnitStatus['lastProbe']> {
    return r.error === undefined ? { at: this.now(), ok: r.ok } : { at: this.now(), ok: r.ok, error: r.error };
  }

  /** A probe whose outcome differs from the last one written, or the first in a while. */
  private probeWorthWriting(r: ProbeResult): boolean {
    const last = this.status.lastProbe;
    if (!last || last.ok !== r.ok) return true;
    return this.now() - this.lastProbeWrittenAt >= PROBE_REPORT_EVERY_MS;
  }

  private stopProbing(): void {
    this.probeGeneration++;
    if (this.probing) clearTimeout(this.probing);
    this.probing = undefined;
  }

  private announce(endpoint: string): Promise<void> {
    // queued behind older endpoint writes: a unit fenced meanwhile announces nothing (fence() dropped the key)
    return this.endpointWrite(() => (this.fenced ? Promise.resolve() : this.deps.session.put(this.endpointKey, endpoint)));
  }

  private withdraw(): Promise<void> {
    return this.endpointWrite(() => this.deps.session.delete(this.endpointKey));
  }

  private endpointWrite(op: () => Promise<unknown>): Promise<void> {
    const run = this.endpointWrites.then(op).then(
      () => undefined,
      (err) => this.deps.logger.warn({ err, unit: this.unit }, 'endpoint write failed'),
    );
    this.endpointWrites = run;
    return run;
  }

  private async onExited(exitCode: number | undefined, oom: boolean): Promise<void> {
    this.stopProbing();
    void this.withdraw();
    const { why, quoteOutput } = exitWhy(exitCode, oom);
    const output = await readLastOutput(this.deps.driver, this.unit);
    const reason = quoteOutput ? reasonWithOutput(why, output) : why;
    await this.report('exited', { healthy: false, exitCode, reason, lastOutput: output.length > 0 ? keptOutput(output) : undefined });
    this.retryLater(() => this.restart(reason));
  }

  /** Runs `fn` after the backoff (restartDelayMs, growing with each restart in a row); returns the delay. */
  private retryLater(fn: () => Promise<void>): number {
    if (this.retired) return 0;
    const delay = restartDelayMs(this.consecutiveRestarts);
    this.consecutiveRestarts++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.serial(fn), delay);
    return delay;
  }

  /** Starts the same instance again (same unit, same container); counts a restart. */
  private async restart(why: string): Promise<void> {
    if (this.retired) return;
    this.status.restarts++;
    this.status.lastRestart = { at: this.now(), why };
    this.deps.logger.info({ unit: this.unit, restarts: this.status.restarts, why }, 'restarting unit');
    try {
      await this.stopInstance({ kind: 'restart', why }).catch(() => undefined);
      if (this.retired) return;
      // a restart mounts the volumes again: a path swapped for a symlink since the start is refused
      checkVolumesOnHost(this.desired.spec.volumes, this.deps.volumeRoot);
      await this.report('starting', { reason: `restarting: ${why}` });
      const rt = await this.deps.driver.restart(this.unit);
      this.onRunning(rt, `restarted: ${why}`);
    } catch (err) {
      if (err instanceof DriverError && err.code === 'NOT_FOUND') return this.launch();
      await this.report('failed', { healthy: false, reason: `restart failed: ${(err as Error).message}` });
      this.retryLater(() => this.restart(why));
    }
  }

  /**
   * Stops the instance: SIGTERM, SIGKILL after the unit's stop grace. One that had to be killed is said in the
   * journal (core/stop-journal.ts): otherwise nothing tells why every deploy of it waits the whole grace. A unit
   * that keeps failing its checks is restarted again and again: its restarts' kills are journaled once per runner
   * (the journal is kept for good), its retirement always; the warning is logged each time.
   */
  private async stopInstance(during: KilledStop['during']): Promise<void> {
    const grace = this.desired.spec.stopGraceSeconds;
    const { killed } = await this.deps.driver.stop(this.unit, grace);
    if (!killed) return;
    const entry = killedStopEntry({ unit: this.unit, at: this.now(), graceSeconds: grace, during });
    this.deps.logger.warn({ unit: this.unit, graceSeconds: grace }, entry.message);
    if (during.kind === 'restart' && this.restartKillJournaled) return;
    if (during.kind === 'restart') this.restartKillJournaled = true;
    await this.deps.store?.put(entry.key, entry.value).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'could not journal the kill'));
  }

  /** No longer desired here: withdraw the endpoint, stop (SIGTERM, then SIGKILL after the grace), remove. */
  async retire(): Promise<void> {
    if (this.retired) return this.busy;
    this.stopProbing();
    if (this.timer) clearTimeout(this.timer);
    await this.withdraw();
    await this.report('stopping', { healthy: false, reason: 'no longer desired on this host' });
    this.retired = true;
    this.pulling.abort();
    await this.busy;
    await this.stopInstance({ kind: 'retire' }).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'stop failed'));
    await this.deps.driver.remove(this.unit).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'remove failed'));
    await this.deps.session.delete(keys.unitStatus(this.unit));
  }

  /**
   * The agent was cut off from the store for longer than the host-loss grace (reconciler.ts fence()): the
   * control plane is about to place the unit elsewhere, so it stops here now (SIGTERM, its stop grace, SIGKILL,
   * then removed, as a retirement does). Nothing here waits for the unreachable store: the unit's status and
   * endpoint are dropped from the lease session unwritten (they go with the abandoned lease, lease-session.ts),
   * and the stop does not wait for what the runner was busy with (a store read may hang until its deadline).
   */
  async fence(): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    this.fenced = true;
    this.stopProbing();
    if (this.timer) clearTimeout(this.timer);
    this.pulling.abort();
    this.deps.session.forget(keys.unitStatus(this.unit));
    this.deps.session.forget(this.endpointKey);
    const stopAndRemove = async () => {
      await this.deps.driver.stop(this.unit, this.desired.spec.stopGraceSeconds).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'stop failed'));
      await this.deps.driver.remove(this.unit).catch((err) => this.deps.logger.warn({ err, unit: this.unit }, 'remove failed'));
    };
    await stopAndRemove();
    // a start that was under way (its driver call answered after the stop) leaves an instance: once the
    // runner's work settles (bounded: it may wait on the store), whatever is left is stopped too
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.busy, new Promise<void>((resolve) => (timer = setTimeout(resolve, FENCE_BUSY_WAIT_MS)))]);
    clearTimeout(timer);
    if (await this.deps.driver.inspect(this.unit).catch(() => undefined)) await stopAndRemove();
  }

  /** Agent shutdown: stop watching, leave the instance running (the next agent adopts it). */
  detach(): void {
    this.retired = true;
    this.stopProbing();
    if (this.timer) clearTimeout(this.timer);
  }
}
