import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeUnits, placeAtDeploy, globMatch, infeasibility, renumbered, replacementOf } from './placement.js';
import type { DesiredUnit, HostRecord } from './records.js';

const host = (id: string, memoryMb = 1024): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: memoryMb * 1048576, version: '0', agentUrl: '', driver: 'docker', startedAt: 0, heartbeatAt: 0,
});
const unit = (service: string, version: number, instance: number, extra: Partial<DesiredUnit> = {}, spec: Partial<DesiredUnit['spec']> = {}): DesiredUnit => ({
  unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 0,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1, ...spec }, ...extra,
});

test('globs match service names', () => {
  assert.ok(globMatch('contrived-service-*', 'contrived-service-2'));
  assert.ok(!globMatch('contrived-service-*', 'other'));
  assert.ok(globMatch('a.b', 'a.b') && !globMatch('a.b', 'axb'));
});

test('globs: * matches any run, including none, anywhere', () => {
  assert.ok(globMatch('*', '') && globMatch('*', 'abc') && globMatch('**', 'abc'));
  assert.ok(globMatch('a*', 'a') && globMatch('*c', 'abc') && globMatch('a*c', 'abbbc') && globMatch('a*b*c', 'axxbyyc'));
  assert.ok(!globMatch('a*c', 'abcd') && !globMatch('a*b*c', 'acb') && !globMatch('', 'a') && globMatch('', ''));
  assert.ok(globMatch('*ab', 'aab') && globMatch('a*ab', 'aaab') && !globMatch('a*ab', 'aaa'));
  // regex metacharacters are plain characters
  assert.ok(globMatch('a+(b)?', 'a+(b)?') && !globMatch('a+', 'aa') && !globMatch('.*', 'abc'));
});

test('globs that backtracked exponentially as a RegExp answer at once (a 50-character name, then a huge one)', () => {
  // `^a.*a.*…a.*b$` against a run of a's took minutes in the RegExp engine: the control plane froze.
  const glob = `${'a*'.repeat(14)}b`;
  assert.equal(globMatch(glob, 'a'.repeat(50)), false);
  assert.equal(globMatch(glob, 'a'.repeat(100_000)), false);
  assert.equal(globMatch(glob, `${'a'.repeat(100_000)}b`), true);
  assert.equal(globMatch(`${'*a'.repeat(127)}*b`, 'a'.repeat(10_000)), false);
});

test('with no host, units stay unplaced with a reason', () => {
  const r = placeUnits([unit('web', 1, 1)], []);
  assert.deepEqual(r.placed, []);
  assert.match(r.unplaceable[0].reason, /no host is available/);
});

test('instances spread over hosts', () => {
  const r = placeUnits([unit('web', 1, 1), unit('web', 1, 2), unit('web', 1, 3)], [host('a'), host('b')]);
  assert.deepEqual(r.placed.map((p) => p.host), ['a', 'b', 'a']);
});

test('a fixed host port is used once per host', () => {
  const ports = [{ container: 9000, host: 80 }];
  const r = placeUnits([unit('web', 1, 1, {}, { ports }), unit('web', 1, 2, {}, { ports })], [host('a')]);
  assert.equal(r.placed.length, 1);
  assert.match(r.unplaceable[0].reason, /host port 80\/tcp is taken/);
});

test('conflictsWith keeps matching services apart, both ways', () => {
  const a = unit('contrived-service-1', 1, 1, { conflictsWith: 'contrived-service-*', host: 'h1' });
  const b = unit('contrived-service-2', 1, 1, { conflictsWith: 'contrived-service-*' });
  const r = placeUnits([a, b], [host('h1'), host('h2')]);
  assert.deepEqual(r.placed, [{ unit: 'contrived-service-2-1-1', host: 'h2' }]);
  const c = unit('contrived-service-3', 1, 1);
  const r2 = placeUnits([a, c], [host('h1')]);
  assert.match(r2.unplaceable[0].reason, /conflicts with "contrived-service-\*"/);
});

test('mustShareWith follows the other service, memory reservations are respected', () => {
  const db = unit('db', 1, 1, { host: 'h2' });
  const app = unit('app', 1, 1, { mustShareWith: 'db' });
  assert.deepEqual(placeUnits([db, app], [host('h1'), host('h2')]).placed, [{ unit: 'app-1-1', host: 'h2' }]);
  const big = unit('big', 1, 1, {}, { memoryMb: 2000 });
  assert.match(placeUnits([big], [host('h1', 1024)]).unplaceable[0].reason, /needs 2000 MiB/);
});

test("ports Paz listens on itself (agent API, control plane) are not handed out", () => {
  const r = placeUnits([unit('web', 1, 1, {}, { ports: [{ container: 80, host: 9010 }] })], [{ ...host('a'), reservedPorts: [9000, 9010] }]);
  assert.match(r.unplaceable[0].reason, /host port 9010\/tcp is Paz's own on a/);
});

test('the old version of the same service never conflicts (rolling deploys on one host)', () => {
  const old = unit('contrived-service-1', 1, 1, { conflictsWith: 'contrived-service-*', host: 'h1' });
  const next = unit('contrived-service-1', 2, 1, { conflictsWith: 'contrived-service-*' });
  assert.deepEqual(placeUnits([old, next], [host('h1')]).placed, [{ unit: 'contrived-service-1-2-1', host: 'h1' }]);
  const sibling = unit('contrived-service-1', 1, 2, { conflictsWith: 'contrived-service-*' });
  assert.equal(placeUnits([old, sibling], [host('h1')]).placed.length, 0, 'instances of one version keep apart');
});

test("a host port equal to the host's router port never clashes: the router serves it", () => {
  const ports = [{ container: 9000, host: 80 }];
  const routed = { ...host('a'), routerPort: 80 };
  const r = placeUnits([unit('web', 1, 1, {}, { ports }), unit('web', 2, 1, {}, { ports })], [routed]);
  assert.equal(r.placed.length, 2);
});

test('held units wait', () => {
  const r = placeUnits([unit('web', 1, 1, { hold: true })], [host('a')]);
  assert.deepEqual(r, { placed: [], unplaceable: [] });
});

import { lostUnits } from './placement.js';

test('units of a host gone for the grace period are to be placed again; a brief blip keeps them', () => {
  const units = [unit('web', 1, 1, { host: 'a' }), unit('web', 1, 2, { host: 'b' }), unit('web', 1, 3, { host: 'a', drainingSince: 1 })];
  const missing = new Map<string, number>();
  assert.deepEqual(lostUnits(units, new Set(['b']), missing, 1000, 30_000), []);
  assert.deepEqual(lostUnits(units, new Set(['b']), missing, 30_999, 30_000), []);
  assert.deepEqual(lostUnits(units, new Set(['b']), missing, 31_000, 30_000), [{ unit: 'web-1-1', host: 'a' }]);
  // the host came back: forgotten, and its units stay
  assert.deepEqual(lostUnits(units, new Set(['a', 'b']), missing, 40_000, 30_000), []);
  assert.equal(missing.size, 0);
});

test('a new version of 1000 instances spreads beside the old one, and conflicts still count per version', () => {
  const old = Array.from({ length: 1000 }, (_, i) => unit('big', 1, i + 1, { host: i % 2 === 0 ? 'a' : 'b' }));
  const fresh = Array.from({ length: 1000 }, (_, i) => unit('big', 2, i + 1));
  const r = placeUnits([...old, ...fresh], [host('a'), host('b')]);
  assert.equal(r.placed.length, 1000);
  assert.equal(r.placed.filter((p) => p.host === 'a').length, 500);
  // a service that conflicts with itself: one instance per host, whatever other versions run there
  const lonely = placeUnits([unit('solo', 1, 1, { host: 'a', conflictsWith: 'solo' }), unit('solo', 2, 1, { conflictsWith: 'solo' }), unit('solo', 2, 2, { conflictsWith: 'solo' }), unit('solo', 2, 3, { conflictsWith: 'solo' })], [host('a'), host('b')]);
  assert.deepEqual(lonely.placed.map((p) => p.host), ['b', 'a'], 'spread first: b is empty');
  assert.match(lonely.unplaceable[0].reason, /conflictsWith "solo": solo-2-\d runs on/);
});

/** What placeUnits decides, the slow way: every pending unit checked against every host (the scan it replaces). */
function placeByScan(all: DesiredUnit[], hosts: HostRecord[], drained: ReadonlySet<string>): Array<{ unit: string; host: string }> {
  const onHost = new Map(hosts.map((h) => [h.id, all.filter((u) => u.host === h.id)]));
  const collator = new Intl.Collator();
  const pending = all.filter((u) => u.host === null && !u.hold).sort((a, b) => collator.compare(a.service, b.service) || a.version - b.version || a.instance - b.instance);
  const eligible = hosts.filter((h) => !drained.has(h.id)).sort((a, b) => collator.compare(a.id, b.id));
  const placed: Array<{ unit: string; host: string }> = [];
  for (const u of pending) {
    let best: { id: string; score: number } | undefined;
    for (const h of eligible) {
      const here = onHost.get(h.id)!;
      if (infeasibility(u, h, here)) continue;
      const score = here.filter((x) => x.service === u.service).length * 1000 + here.length;
      if (!best || score < best.score) best = { id: h.id, score };
    }
    if (!best) continue;
    placed.push({ unit: u.unit, host: best.id });
    onHost.get(best.id)!.push({ ...u, host: best.id });
  }
  return placed;
}

test('placements are those of checking every unit against every host, with and without rules, on random clusters', () => {
  // a small deterministic generator: the same cases every run
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const hosts = Array.from({ length: 1 + rand(12) }, (_, i) => host(`h${String.fromCharCode(97 + rand(26))}${i}`, 256 + rand(4) * 256));
    const drained = new Set(hosts.filter(() => rand(6) === 0).map((h) => h.id));
    const units: DesiredUnit[] = [];
    for (const service of ['api', 'web', 'db', 'worker'].slice(0, 1 + rand(4))) {
      const version = 1 + rand(2);
      for (let i = 1; i <= rand(15); i++) {
        const kind = rand(10);
        const extra: Partial<DesiredUnit> = {};
        const spec: Partial<DesiredUnit['spec']> = {};
        if (kind === 0) spec.ports = [{ container: 80, host: 8000 + rand(3) }];
        if (kind === 1) extra.conflictsWith = rand(2) ? 'db' : 'w*';
        if (kind === 2) extra.mustShareWith = 'api';
        if (kind === 3) spec.memoryMb = 64 * (1 + rand(8));
        if (rand(8) === 0) extra.hold = true;
        // some already placed (on any host, drained ones too), the rest waiting
        const placedOn = rand(3) === 0 ? hosts[rand(hosts.length)].id : null;
        units.push(unit(service, version, i, { ...extra, host: placedOn }, spec));
      }
    }
    const fast = placeUnits(units, hosts, drained).placed;
    assert.deepEqual(fast, placeByScan(units, hosts, drained), `round ${round}`);
  }
});

test('placeAtDeploy: a deploy\'s unconstrained units go where the placement loop would put them, counting every unit the leader knows', () => {
  const existing = [unit('web', 1, 1, { host: 'a' }), unit('web', 1, 2, { host: 'a' }), unit('db', 1, 1, { host: 'b' })];
  const fresh = [1, 2, 3].map((i) => unit('web', 2, i));
  const hosts = [host('a'), host('b'), host('c')];
  const placed = placeAtDeploy(fresh, existing, hosts, new Set(), false);
  // the same answer as the loop's, with the fresh units unplaced beside the existing ones
  assert.deepEqual(placed, placeUnits([...existing, ...fresh], hosts).placed);
  assert.deepEqual(placed.map((p) => p.host), ['c', 'b', 'c'], 'web\'s fewest first (a has two), then fewest overall');
  assert.deepEqual(placeAtDeploy(fresh, existing, hosts, new Set(['c']), false).map((p) => p.host), ['b', 'b', 'a'], 'nothing new on a drained host');
  assert.deepEqual(placeAtDeploy(fresh, existing, [], new Set(), false), [], 'no host: the loop says why');
});

test('placeAtDeploy leaves to the loop whatever a rule decides: held units, host ports, memory, mustShareWith, and any conflictsWith anywhere', () => {
  const hosts = [host('a'), host('b')];
  const held = unit('web', 1, 1, { hold: true });
  const port = unit('web', 1, 2, {}, { ports: [{ container: 80, host: 8080 }] });
  const memory = unit('web', 1, 3, {}, { memoryMb: 64 });
  const sharing = unit('web', 1, 4, { mustShareWith: 'db' });
  const free = unit('web', 1, 5);
  assert.deepEqual(placeAtDeploy([held, port, memory, sharing, free], [], hosts, new Set(), false).map((p) => p.unit), ['web-1-5']);
  // a rule of another unit, placed or not, or of a service (its units may be staged right now): nothing at deploy
  assert.deepEqual(placeAtDeploy([free], [unit('solo', 1, 1, { conflictsWith: 'web' })], hosts, new Set(), false), []);
  assert.deepEqual(placeAtDeploy([free], [unit('solo', 1, 1, { host: 'a', conflictsWith: 'x*' })], hosts, new Set(), false), []);
  assert.deepEqual(placeAtDeploy([free], [], hosts, new Set(), true), []);
  assert.deepEqual(placeAtDeploy([unit('web', 1, 6, { conflictsWith: 'db' })], [], hosts, new Set(), false), []);
});

test('placeAtDeploy counts a fresh unit already staged by an earlier attempt once, not as load against itself', () => {
  const hosts = [host('a'), host('b')];
  const staged = unit('web', 1, 1, { host: 'a' });
  assert.deepEqual(placeAtDeploy([unit('web', 1, 1), unit('web', 1, 2)], [staged], hosts, new Set(), false), [
    { unit: 'web-1-1', host: 'a' },
    { unit: 'web-1-2', host: 'b' },
  ]);
});

test('renumbered: the same unit under another instance number, its name and instance identity following', () => {
  const old = unit('web', 2, 1, { host: 'h1', placedAt: 5 }, { env: { PAZ_SERVICE: 'web', PAZ_VERSION: '2', PAZ_INSTANCE: '1', LOG: 'debug' } });
  const r = replacementOf(old, 3, 100, 'restart asked');
  const moved = renumbered(r, 7);
  assert.deepEqual({ unit: moved.unit, instance: moved.instance, env: moved.spec.env }, { unit: 'web-2-7', instance: 7, env: { PAZ_SERVICE: 'web', PAZ_VERSION: '2', PAZ_INSTANCE: '7', LOG: 'debug' } });
  assert.deepEqual({ ...moved, unit: r.unit, instance: r.instance, spec: r.spec }, r, 'nothing else changes: what it replaces, why, when');
  assert.equal(r.spec.env.PAZ_INSTANCE, '3', 'the unit renumbered is left as it was');
});
