/**
 * Deciding a deploy: the next version number, the snapshot to record, the desired units to write and the
 * journal entry. Pure; the scheduler applies the plan in one store transaction.
 */
import type { ServiceDoc, ServiceConfig } from './service-spec.js';
import type { DeployRecord, DeployTrigger, DesiredUnit, HostRecord, JournalEntry, UnitRunSpec } from './records.js';
import { instanceEnv } from './records.js';
import { rolloutSettings, type RolloutStrategy } from './rollout-defaults.js';
import { unitName } from './unit-name.js';
import { imageRefProblem, parseImageRef, pinnedRef, tagProblem, withTag } from './image-ref.js';
import { PazError } from './errors.js';
import { isSealedSecret, type SealedSecret } from './secret-env.js';

export interface DeployPlan {
  record: DeployRecord;
  units: DesiredUnit[];
  journal: JournalEntry;
  strategy: RolloutStrategy;
  /** why recreate was chosen, when it was chosen automatically */
  strategyReason?: string;
}

/** The image a version's instances run: pinned to its digest when one is recorded, so a moved tag changes nothing. */
export function runImageOf(record: Pick<DeployRecord, 'image' | 'digest'>): string {
  return record.digest ? pinnedRef(record.image, record.digest) : record.image;
}

export function runSpecFor(record: Pick<DeployRecord, 'service' | 'version' | 'image' | 'config' | 'digest'>, instance: number): UnitRunSpec {
  const c = record.config;
  const env: Record<string, string> = {};
  const secretEnv: Record<string, SealedSecret> = {};
  const identity = instanceEnv(record.service, record.version, instance);
  for (const [k, v] of Object.entries(c.env)) {
    if (isSealedSecret(v)) {
      // the identity variables win over the config's, secret or not
      if (!(k in identity)) secretEnv[k] = v;
    } else env[k] = String(v);
  }
  Object.assign(env, identity);
  const spec: UnitRunSpec = {
    image: runImageOf(record),
    ports: c.ports.map((p) => ({ ...p })),
    env,
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    volumes: Object.entries(c.volume).map(([hostPath, containerPath]) => ({ hostPath, containerPath })),
    stopGraceSeconds: rolloutSettings(c).stopGraceSeconds,
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
    u.publicFacing = record.config.publicFacing ?? false;
    u.loadBalanced = record.config.loadBalanced ?? true;
    if (record.config.rollout?.minHealthySeconds !== undefined) u.minHealthySeconds = record.config.rollout.minHealthySeconds;
    if (record.config.rollout?.healthyDeadlineSeconds !== undefined) u.healthyDeadlineSeconds = record.config.rollout.healthyDeadlineSeconds;
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
  /** the cluster's hosts now: whether the new instances fit beside the old ones */
  hosts?: Array<Pick<HostRecord, 'id' | 'routerPort'>>;
}

/**
 * Whether chooseStrategy needs the cluster's hosts for this config: only a fixed host port, with no strategy
 * asked for, makes the choice depend on them. A deploy reads every host record otherwise for nothing (1,000
 * records per deploy at 1,000 hosts, bench/scheduling).
 */
export function strategyNeedsHosts(config: ServiceConfig): boolean {
  return !rolloutSettings(config).strategy && config.numInstances > 0 && config.ports.some((p) => p.host !== undefined);
}

/**
 * Rolling or recreate. An explicit `rollout.strategy` wins. Otherwise recreate when the new version's
 * instances cannot run beside the old ones: a fixed host port other than the router's (the router's port
 * is served through the router, so it never clashes) allows one instance per host, and a rolling deploy
 * keeps every old instance until all new ones are healthy, so it needs twice `numInstances` hosts.
 */
export function chooseStrategy(config: ServiceConfig, hosts: Array<Pick<HostRecord, 'id' | 'routerPort'>>): { strategy: RolloutStrategy; reason?: string } {
  if (!strategyNeedsHosts(config)) return { strategy: rolloutSettings(config).strategy ?? 'rolling' };
  const fixed = config.ports.filter((p) => p.host !== undefined && hosts.some((h) => h.routerPort !== p.host)).map((p) => `${p.host}/${p.protocol ?? 'tcp'}`);
  if (fixed.length === 0) return { strategy: 'rolling' };
  if (2 * config.numInstances <= hosts.length) return { strategy: 'rolling' };
  const on = `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
  return {
    strategy: 'recreate',
    reason: `fixed host port ${fixed.join(', ')}: ${config.numInstances} new instance${config.numInstances === 1 ? '' : 's'} cannot run beside the old ones on ${on}, so the old ones stop first (a gap in service)`,
  };
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
  const { strategy, reason: strategyReason } = chooseStrategy(record.config, input.hosts ?? []);
  if (strategy === 'recreate') {
    // the rollout controller releases them once the old instances are stopped and gone
    for (const u of units) {
      u.hold = true;
      u.reason = 'held: recreate starts the new version once the old instances have stopped';
    }
  } else {
    // a rolling deploy starts at most maxSurge new instances at once; the rollout controller releases the rest
    const surge = rolloutSettings(record.config).maxSurge;
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
        : input.trigger.source === 'restart'
          ? `restart: version ${input.trigger.restartOf} started afresh as version ${version} (${record.image})`
          : `deploy of ${record.image} (${input.trigger.source}${input.trigger.tag ? `, tag ${input.trigger.tag}` : ''})`,
  };
  if (strategy === 'recreate') journal.message += `; strategy recreate${strategyReason ? ` (${strategyReason})` : ''}`;
  if (input.trigger.actor !== undefined) journal.actor = input.trigger.actor;
  return { record, units, journal, strategy, ...(strategyReason ? { strategyReason } : {}) };
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
    const why = imageRefProblem(hookRepository);
    if (why) throw new PazError('VALIDATION', `dockerRepository "${hookRepository}" ${why}`, { field: 'dockerRepository' });
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
  if (tag !== undefined && tag !== '') {
    const why = tagProblem(tag);
    if (why) throw new PazError('VALIDATION', `tag ${JSON.stringify(tag)} ${why}`, { field: 'tag' });
    image = withTag(serviceRepository, tag);
  }
  return image;
}
