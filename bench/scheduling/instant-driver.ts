/**
 * A driver that runs nothing: `start` returns a running instance at once, as if the host had started it
 * in no time. It keeps what it "runs" the way a real driver does (list, inspect, stop, remove answer from
 * it), so the agent code above it (reconciler, unit runners, lease session) behaves exactly as it does on a
 * real host, and the scheduling bench measures the control plane and the store, not Docker.
 *
 * Instances have no ports, so a unit's health probe is `none` (probe-choice.ts): running is healthy, the
 * same status writes a real unit without ports makes.
 */
import { Readable } from 'node:stream';
import type { Driver, DriverEvent, LogOptions, StopResult, UnitRuntime, UnitSpec, UnitStats } from '../../src/agent/drivers/driver.js';
import { DriverError } from '../../src/agent/drivers/driver.js';

export class InstantDriver implements Driver {
  readonly name = 'process' as const;
  private readonly units = new Map<string, UnitRuntime>();
  private readonly listeners = new Set<(e: DriverEvent) => void>();
  private nextId = 1;

  async pull(): Promise<void> {}

  async hasImage(): Promise<boolean> {
    return true;
  }

  async start(spec: UnitSpec): Promise<UnitRuntime> {
    const existing = this.units.get(spec.unit);
    if (existing?.state === 'running' && existing.image === spec.image) return existing;
    const rt: UnitRuntime = {
      unit: spec.unit,
      id: String(this.nextId++),
      state: 'running',
      startedAt: new Date().toISOString(),
      ports: [],
      image: spec.image,
      service: spec.service,
      version: spec.version,
      instance: spec.instance,
    };
    this.units.set(spec.unit, rt);
    this.emit({ type: 'start', unit: spec.unit });
    return rt;
  }

  async restart(unit: string): Promise<UnitRuntime> {
    const rt = this.units.get(unit);
    if (!rt) throw new DriverError('NOT_FOUND', `no instance of ${unit}`);
    rt.state = 'running';
    return rt;
  }

  async stop(unit: string): Promise<StopResult> {
    const rt = this.units.get(unit);
    if (!rt || rt.state !== 'running') return { killed: false };
    rt.state = 'exited';
    rt.exitCode = 0;
    this.emit({ type: 'die', unit, exitCode: 0 });
    return { killed: false };
  }

  async remove(unit: string): Promise<void> {
    if (this.units.delete(unit)) this.emit({ type: 'destroy', unit });
  }

  async inspect(unit: string): Promise<UnitRuntime | undefined> {
    return this.units.get(unit);
  }

  async list(): Promise<UnitRuntime[]> {
    return [...this.units.values()];
  }

  /** how many instances it "runs" now */
  get running(): number {
    let n = 0;
    for (const rt of this.units.values()) if (rt.state === 'running') n++;
    return n;
  }

  async logs(unit: string, _opts: LogOptions): Promise<Readable> {
    if (!this.units.has(unit)) throw new DriverError('NOT_FOUND', `no instance of ${unit}`);
    return Readable.from([], { objectMode: true });
  }

  async stats(unit: string): Promise<UnitStats | undefined> {
    if (this.units.get(unit)?.state !== 'running') return undefined;
    return { unit, cpu: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0, at: new Date().toISOString() };
  }

  async events(listener: (e: DriverEvent) => void): Promise<() => void> {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(e: DriverEvent): void {
    for (const l of this.listeners) l(e);
  }
}
