/**
 * Deciding a deploy: the next version number, the snapshot to record, the desired units to write and the
 * journal entry. Pure; the scheduler applies the plan in one store transaction.
 */
import type { ServiceDoc, ServiceConfig } from './service-spec.js';
import type { DeployRecord, DeployTrigger, DesiredUnit, JournalEntry, UnitRunSpec } from './records.js';
import { DEFAULT_STOP_GRACE_SECONDS, instanceEnv } from './records.js';
import { unitName } from './unit-name.js';
import { parseImageRef, pinnedRef, withTag } from './image-ref.js';
import { PazError } from './errors.js';

export interface DeployPlan {
  record: DeployRecord;
  units: DesiredUnit[];
  journal: JournalEntry;
}

/** The image a version's instances run: pinned to its digest when one is recorded, so a moved tag changes nothing. */
export function runImageOf(record: Pick<DeployRecord, 'image' | 'digest'>): string {
  return record.digest ? pinnedRef(record.image, record.digest) : record.image;
}

export function runSpecFor(record: Pick<DeployRecord, 'service' | 'version' | 'image' | 'config' | 'digest'>, instance: number): UnitRunSpec {
  const c = record.config;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.env)) env[k] = String(v);
  Object.assign(env, instanceEnv(record.service, record.version, instance));
  const spec: UnitRunSpec = {
    image: runImageOf(record),
    ports: c.ports.map((p) => ({ ...p })),
    env,
    volumes: Object.entries(c.volume).map(([hostPath, containerPath]) => ({ hostPath, containerPath })),
    stopGraceSeconds: c.rollout?.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS,
  };
  if (c.command) spec.command = [...c.command];
  if (c.resources?.cpus !== undefined) spec.cpus = c.resources.cpus;
  if (c.resources?.memoryMb !== undefined) spec.memoryMb = c.resources.memoryMb;
  if (c.healthCheck) spec.healthCheck = { ...c.healthCheck };
  return spec;
}

export function desiredUnitsFor(record: DeployRecord, count: number, now: number, firstInstance = 1): DesiredUnit[] {
  const units: DesiredUnit[] = [];
  for (let i = firstInstance; i < firstInstance + count; i++) {
    const u: DesiredUnit = {
      unit: unitName(record.service, record.version, i),
      service: record.service,
      version: record.version,
      instance: i,
      host: null,
      spec: runSpecFor(record, i),
      createdAt: now,
      reason: 'waiting for placement',
    };
    if (record.config.conflictsWith) u.conflictsWith = record.config.conflictsWith;
    if (record.config.mustShareWith) u.mustShareWith = record.config.mustShareWith;
    units.push(u);
  }
  return units;
}

export interface PlanDeployInput {
  service: Pick<ServiceDoc, 'name' | 'description' | 'dockerRepository'> & { config: ServiceConfig };
  /** latest deployed version, 0 when never deployed */
  latestVersion: number;
  image: string;
  /** the digest `image` resolved to (registry or a rolled-back record); absent: recorded at first pull */
  digest?: string;
  trigger: DeployTrigger;
  now: number;
}

export function planDeploy(input: PlanDeployInput): DeployPlan {
  const version = input.latestVersion + 1;
  const record: DeployRecord = {
    service: input.service.name,
    version,
    timestamp: input.now,
    image: input.image,
    description: input.service.description,
    dockerRepository: input.service.dockerRepository,
    config: structuredClone(input.service.config),
    trigger: input.trigger,
  };
  if (input.digest) record.digest = input.digest;
  const units = desiredUnitsFor(record, record.config.numInstances, input.now);
  // a rolling deploy starts at most maxSurge new instances at once; the rollout controller releases the rest
  const surge = record.config.rollout?.maxSurge;
  if (surge !== undefined) {
    for (const u of units) {
      if (u.instance <= surge) continue;
      u.hold = true;
      u.reason = `held: rollout.maxSurge starts ${surge} new instance${surge === 1 ? '' : 's'} at a time`;
    }
  }
  const journal: JournalEntry = {
    event: input.trigger.source === 'rollback' ? 'rollback' : 'deploy',
    serviceName: record.service,
    version,
    timestamp: input.now,
    message:
      input.trigger.source === 'rollback'
        ? `rollback: version ${input.trigger.rollbackOf}'s snapshot deployed as version ${version} (${record.image})`
        : `deploy of ${record.image} (${input.trigger.source}${input.trigger.tag ? `, tag ${input.trigger.tag}` : ''})`,
  };
  return { record, units, journal };
}

/**
 * Which image a deploy runs. A registry push or a hook that names a tag deploys the service's repository at
 * that tag (Paz ignored the pushed tag); a hook naming a different repository is refused rather than
 * silently deploying something else. Registries are not compared, so a hook saying `lukebond/demo-api`
 * matches a service pulling `quay.io/lukebond/demo-api` (as in Paz's own integration test).
 */
export function resolveDeployImage(serviceRepository: string, hookRepository?: string, tag?: string): string {
  let image = serviceRepository;
  if (hookRepository !== undefined && hookRepository !== '') {
    const svc = parseImageRef(serviceRepository);
    const hook = parseImageRef(hookRepository);
    if (svc.path !== hook.path) {
      throw new PazError(
        'REPOSITORY_MISMATCH',
        `dockerRepository "${hookRepository}" is not this service's repository "${serviceRepository}": send the service's repository (optionally with a tag), or none`,
        { expected: serviceRepository, got: hookRepository },
      );
    }
    if (hook.tag) image = withTag(serviceRepository, hook.tag);
  }
  if (tag) image = withTag(serviceRepository, tag);
  return image;
}
