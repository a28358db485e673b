import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsAfterStart, planChanges } from './plan-changes.js';
import { capacityFor, emptyLayout, type RouterLayout } from './router-layout.js';
import type { RouteServer, RouteTable } from './route-table.js';

const server = (name: string, port: number, extra: Partial<RouteServer> = {}): RouteServer => ({
  name,
  address: '127.0.0.1',
  port,
  state: 'ready',
  ...extra,
});

function table(services: Record<string, RouteServer[]>, extra: Partial<RouteTable> = {}): RouteTable {
  return { domain: 'paz', services: Object.entries(services).map(([name, servers]) => ({ name, servers })), ...extra };
}

/** The layout after applying `t` to an empty router (what `start(t)` renders). */
function started(t: RouteTable): RouterLayout {
  return planChanges(emptyLayout(t.domain), t).next;
}

const slotsOf = (layout: RouterLayout, service: string) =>
  layout.backends.find((b) => b.service === service)!.slots.map((s) => s?.server ?? null);

test('capacity is a power of two with room to double, at least 8', () => {
  assert.equal(capacityFor(0), 8);
  assert.equal(capacityFor(4), 8);
  assert.equal(capacityFor(5), 16);
  assert.equal(capacityFor(8), 16);
  assert.equal(capacityFor(9), 32);
  assert.equal(capacityFor(100), 256);
});

test('a new service needs a reload and gets its servers in the first slots', () => {
  const plan = planChanges(emptyLayout('paz'), table({ web: [server('web-1-1', 3001), server('web-1-2', 3002)] }));
  assert.equal(plan.reload, true);
  assert.deepEqual(plan.reloadReasons, ['service web added']);
  assert.deepEqual(plan.actions, []);
  assert.deepEqual(slotsOf(plan.next, 'web'), ['web-1-1', 'web-1-2', null, null, null, null, null, null]);
});

test('an unchanged table plans nothing', () => {
  const t = table({ web: [server('web-1-1', 3001)] });
  const plan = planChanges(started(t), t);
  assert.equal(plan.reload, false);
  assert.deepEqual(plan.actions, []);
  assert.deepEqual(plan.assignedSlots, []);
});

test('adding a server that fits uses the runtime API: addr, weight, ready in a free slot', () => {
  const before = started(table({ web: [server('web-1-1', 3001)] }));
  const plan = planChanges(before, table({ web: [server('web-1-1', 3001), server('web-1-2', 3002, { weight: 50 })] }));
  assert.equal(plan.reload, false);
  assert.deepEqual(plan.actions, [
    { kind: 'set-addr', backend: 'backend-web', server: 'slot2', address: '127.0.0.1', port: 3002 },
    { kind: 'set-weight', backend: 'backend-web', server: 'slot2', weight: 50 },
    { kind: 'set-state', backend: 'backend-web', server: 'slot2', state: 'ready' },
  ]);
  assert.deepEqual(plan.assignedSlots, [{ service: 'web', slot: 1 }]);
});

test('slot assignment is stable: servers keep their slot when others come and go', () => {
  let layout = started(table({ web: [server('a', 1), server('b', 2), server('c', 3)] }));
  // b leaves: its slot goes to maintenance, a and c stay where they are
  let plan = planChanges(layout, table({ web: [server('a', 1), server('c', 3)] }));
  assert.deepEqual(plan.actions, [{ kind: 'set-state', backend: 'backend-web', server: 'slot2', state: 'maint' }]);
  layout = plan.next;
  assert.deepEqual(slotsOf(layout, 'web').slice(0, 3), ['a', null, 'c']);
  // d arrives (listed first): it takes the lowest free slot; a and c do not move
  plan = planChanges(layout, table({ web: [server('d', 4), server('c', 3), server('a', 1)] }));
  assert.equal(plan.reload, false);
  assert.deepEqual(slotsOf(plan.next, 'web').slice(0, 4), ['a', 'd', 'c', null]);
});

test('a slot freed by this change is reused only when no slot was free before', () => {
  // 8 slots, 7 used: x leaves and y, z arrive; y takes the long-free slot 8, z needs x's old slot
  const names = ['s1', 's2', 's3', 's4', 's5', 's6', 'x'];
  const port = (name: string) => 1000 + name.charCodeAt(0) * 10 + Number(name.slice(1) || 0);
  const layout = started(table({ web: names.map((n) => server(n, port(n))) }));
  assert.equal(layout.backends[0].slots.length, 16); // 7 servers -> 16 slots
  const small: RouterLayout = { ...layout, backends: [{ service: 'web', slots: layout.backends[0].slots.slice(0, 8) }] };
  const plan = planChanges(small, table({ web: [...names.slice(0, 6), 'y', 'z'].map((n) => server(n, port(n))) }));
  assert.equal(plan.reload, false);
  assert.deepEqual(slotsOf(plan.next, 'web'), ['s1', 's2', 's3', 's4', 's5', 's6', 'z', 'y']);
  // maintenance of x's slot comes before anything is put into it; the kept servers get no command
  assert.deepEqual(plan.actions[0], { kind: 'set-state', backend: 'backend-web', server: 'slot7', state: 'maint' });
  assert.deepEqual(
    plan.actions.map((a) => a.server),
    ['slot7', 'slot8', 'slot8', 'slot8', 'slot7', 'slot7', 'slot7'],
  );
});

test('running out of slots needs a reload; the capacity grows and kept servers keep their slot', () => {
  const layout = started(table({ web: [server('a', 1), server('b', 2)] }));
  const many = ['a', 'b', ...Array.from({ length: 8 }, (_, i) => `n${i}`)].map((n, i) => server(n, 100 + i));
  const plan = planChanges(layout, table({ web: many }));
  assert.equal(plan.reload, true);
  assert.match(plan.reloadReasons[0], /needs 10 slots and has 8/);
  assert.deepEqual(plan.actions, []);
  const slots = slotsOf(plan.next, 'web');
  assert.equal(slots.length, 32);
  assert.deepEqual(slots.slice(0, 2), ['a', 'b']);
  assert.equal(slots.filter(Boolean).length, 10);
});

test('a reload for another reason shrinks oversized backends, but never below an occupied slot', () => {
  const big = started(table({ web: Array.from({ length: 20 }, (_, i) => server(`w${i}`, 100 + i)) }));
  assert.equal(big.backends[0].slots.length, 64);
  // keep only w0 and w17 (slot index 17), and add a service: the reload resizes web to 32 (fits slot 18)
  const plan = planChanges(big, table({ web: [server('w0', 100), server('w17', 117)], api: [server('api-1-1', 5000)] }));
  assert.equal(plan.reload, true);
  const web = slotsOf(plan.next, 'web');
  assert.equal(web.length, 32);
  assert.equal(web[0], 'w0');
  assert.equal(web[17], 'w17');
});

test('removing a service, changing the domain or the default service needs a reload', () => {
  const layout = started(table({ web: [server('a', 1)], api: [server('b', 2)] }));
  assert.deepEqual(planChanges(layout, table({ web: [server('a', 1)] })).reloadReasons, ['service api removed']);
  assert.deepEqual(
    planChanges(layout, table({ web: [server('a', 1)], api: [server('b', 2)] }, { domain: 'example.com' })).reloadReasons,
    ['domain changes from paz to example.com'],
  );
  assert.deepEqual(
    planChanges(layout, table({ web: [server('a', 1)], api: [server('b', 2)] }, { defaultService: 'web' })).reloadReasons,
    ['default service changes from (none) to web'],
  );
});

test('a changed address, weight or state of a kept server becomes runtime commands on its slot', () => {
  const layout = started(table({ web: [server('a', 1), server('b', 2)] }));
  const plan = planChanges(layout, table({ web: [server('a', 1, { address: '127.0.0.2', port: 9 }), server('b', 2, { weight: 7, state: 'drain' })] }));
  assert.equal(plan.reload, false);
  assert.deepEqual(plan.actions, [
    { kind: 'set-addr', backend: 'backend-web', server: 'slot1', address: '127.0.0.2', port: 9 },
    { kind: 'set-weight', backend: 'backend-web', server: 'slot2', weight: 7 },
    { kind: 'set-state', backend: 'backend-web', server: 'slot2', state: 'drain' },
  ]);
  assert.deepEqual(plan.assignedSlots, []);
});

test('a draining server keeps its slot in drain until it leaves the table, then goes to maint', () => {
  let layout = started(table({ web: [server('a', 1), server('b', 2)] }));
  layout = planChanges(layout, table({ web: [server('a', 1), server('b', 2, { state: 'drain' })] })).next;
  const still = planChanges(layout, table({ web: [server('a', 1), server('b', 2, { state: 'drain' })] }));
  assert.deepEqual(still.actions, []);
  assert.equal(still.next.backends[0].slots[1]?.state, 'drain');
  const gone = planChanges(layout, table({ web: [server('a', 1)] }));
  assert.deepEqual(gone.actions, [{ kind: 'set-state', backend: 'backend-web', server: 'slot2', state: 'maint' }]);
});

test('after a start, draining servers are put into DRAIN with their real weight', () => {
  const layout = started(table({ web: [server('a', 1), server('b', 2, { state: 'drain', weight: 30 })] }));
  assert.deepEqual(actionsAfterStart(layout), [
    { kind: 'set-state', backend: 'backend-web', server: 'slot2', state: 'drain' },
    { kind: 'set-weight', backend: 'backend-web', server: 'slot2', weight: 30 },
  ]);
});

test('backends are ordered by service name whatever the table order', () => {
  const layout = started(table({ zeta: [], alpha: [], mid: [] }));
  assert.deepEqual(layout.backends.map((b) => b.service), ['alpha', 'mid', 'zeta']);
});

test('a service that stops or starts being public-facing needs a reload and keeps its slots', () => {
  const t = table({ web: [server('web-1-1', 3001)] });
  const before = started(t);
  const internal: RouteTable = { ...t, services: [{ ...t.services[0], publicFacing: false }] };
  const plan = planChanges(before, internal);
  assert.equal(plan.reload, true);
  assert.deepEqual(plan.reloadReasons, ['service web is no longer public-facing']);
  assert.equal(plan.next.backends[0].publicFacing, false);
  assert.deepEqual(slotsOf(plan.next, 'web')[0], 'web-1-1');
  assert.equal(planChanges(plan.next, internal).reload, false, 'no change, no reload');
  assert.deepEqual(planChanges(plan.next, t).reloadReasons, ['service web becomes public-facing']);
});

test("a change of a backend's check needs a reload (it is configuration); the same check does not", () => {
  const t = table({ web: [server('web-1-1', 3001)] });
  const layout = started(t);
  assert.deepEqual(layout.backends[0].check, { type: 'http', path: '/', expect: 'answer' });
  assert.equal(planChanges(layout, t).reload, false);
  const changed = planChanges(layout, { ...t, services: [{ name: 'web', servers: [server('web-1-1', 3001)], check: { type: 'http', path: '/health', expect: '2xx' } }] });
  assert.equal(changed.reload, true);
  assert.deepEqual(changed.reloadReasons, ['health check of web changes']);
  assert.deepEqual(changed.next.backends[0].check, { type: 'http', path: '/health', expect: '2xx' });
  assert.deepEqual(slotsOf(changed.next, 'web')[0], 'web-1-1', 'the server keeps its slot');
});
