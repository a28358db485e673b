/** What the process driver reports of a unit, from its state file and whether its process is alive now. */
import type { UnitRuntime } from '../driver.js';
import type { UnitStateFile } from './unit-files.js';

export function unitRuntimeOf(state: UnitStateFile, alive: boolean): UnitRuntime {
  const { spec } = state;
  const runtime: UnitRuntime = {
    unit: spec.unit,
    id: String(state.pid),
    state: alive ? 'running' : 'exited',
    startedAt: state.startedAt,
    ports: state.ports.map((p) => ({ ...p })),
    image: spec.image,
    service: spec.service,
    version: spec.version,
    instance: spec.instance,
    hostNetwork: true,
  };
  if (alive) {
    runtime.pid = state.pid;
  } else {
    if (state.exitCode !== undefined) runtime.exitCode = state.exitCode;
    if (state.finishedAt !== undefined) runtime.finishedAt = state.finishedAt;
    if (state.oomKilled !== undefined) runtime.oomKilled = state.oomKilled;
  }
  return runtime;
}
