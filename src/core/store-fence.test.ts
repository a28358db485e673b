import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fenceAfterMs, initialFence, nextFence, type FenceInput, type FenceState, type FenceAction, type FenceTimes } from './store-fence.js';

/** the defaults: --host-loss-grace 30 s, a 10 s heartbeat lease */
const GRACE: FenceTimes = { graceMs: 30_000, leaseTtlMs: 10_000 };

/** feeds the inputs in order; returns the last state and every action that was not 'none' (with the time of its input) */
function run(inputs: FenceInput[], start: FenceState = initialFence(0), times = GRACE): { state: FenceState; actions: Array<[number, FenceAction]> } {
  let state = start;
  const actions: Array<[number, FenceAction]> = [];
  for (const input of inputs) {
    const r = nextFence(state, input, times);
    state = r.state;
    if (r.action.kind !== 'none') actions.push([input.at, r.action]);
  }
  return { state, actions };
}

/**
 * every second from `from` to `to` (ms): a renewal sent that is never answered (the store is away; the agent
 * keeps asking) and a tick of the agent's timer
 */
const ticks = (from: number, to: number): FenceInput[] =>
  Array.from({ length: Math.floor((to - from) / 1000) + 1 }, (_, i): FenceInput[] => [{ type: 'attempt', at: from + i * 1000 }, { type: 'tick', at: from + i * 1000 }]).flat();
/** ticks alone: the agent asked nothing meanwhile */
const bareTicks = (from: number, to: number): FenceInput[] => ticks(from, to).filter((i) => i.type === 'tick');

test('a blip shorter than the grace (an etcd election, a restarted server) stops nothing', () => {
  const { state, actions } = run([{ type: 'renewed', at: 1_000 }, ...ticks(2_000, 30_000), { type: 'renewed', at: 30_500 }, ...ticks(31_000, 60_000)]);
  assert.deepEqual(actions, []);
  assert.equal(state.fencedAt, undefined);
  assert.equal(state.lastRenewedAt, 30_500);
});

test('exactly at the grace it fences (the control plane counts its own grace the same way, >=)', () => {
  const justBefore = run([{ type: 'renewed', at: 1_000 }, { type: 'attempt', at: 4_000 }, { type: 'tick', at: 30_999 }]);
  assert.deepEqual(justBefore.actions, []);
  const at = run([{ type: 'renewed', at: 1_000 }, { type: 'attempt', at: 4_000 }, { type: 'tick', at: 31_000 }]);
  assert.deepEqual(at.actions, [[31_000, { kind: 'fence', silentMs: 30_000 }]]);
  assert.equal(at.state.fencedAt, 31_000);
});

test('no renewal sent since the last answered one (the agent itself stood still): no fence until it asks and hears nothing', () => {
  // a process paused or an event loop blocked for a minute: its timers fire late, the tick before the refresh
  const paused = run([{ type: 'renewed', at: 0 }, ...bareTicks(60_000, 61_000)]);
  assert.deepEqual(paused.actions, []);
  // then it asks: answered at once, nothing happened
  assert.deepEqual(run([{ type: 'renewed', at: 0 }, ...bareTicks(60_000, 61_000), { type: 'attempt', at: 61_500 }, { type: 'renewed', at: 61_500 }, { type: 'tick', at: 62_000 }]).actions, []);
  // or not answered: it fences at the next tick
  assert.deepEqual(run([{ type: 'renewed', at: 0 }, ...bareTicks(60_000, 61_000), { type: 'attempt', at: 61_500 }, { type: 'tick', at: 62_000 }]).actions, [[62_000, { kind: 'fence', silentMs: 62_000 }]]);
});

test('longer than the grace: it fences once, and stays fenced while the store stays away', () => {
  const { state, actions } = run([{ type: 'renewed', at: 5_000 }, ...ticks(6_000, 120_000)]);
  assert.deepEqual(actions.map(([, a]) => a.kind), ['fence']);
  assert.deepEqual(actions[0][1], { kind: 'fence', silentMs: 30_000 });
  assert.equal(state.fencedAt, 35_000);
});

test('a renewal in between starts the count again: two blips each under the grace never add up', () => {
  const { actions } = run([{ type: 'renewed', at: 0 }, ...ticks(1_000, 29_000), { type: 'renewed', at: 29_500 }, ...ticks(30_000, 58_000), { type: 'renewed', at: 58_900 }, ...ticks(59_000, 80_000)]);
  assert.deepEqual(actions, []);
});

test('a renewal after the fence rejoins (once), saying how long the units were stopped', () => {
  const { state, actions } = run([{ type: 'renewed', at: 0 }, ...ticks(1_000, 40_000), { type: 'renewed', at: 52_000 }, { type: 'renewed', at: 55_000 }, ...ticks(56_000, 80_000)]);
  assert.deepEqual(actions.map(([, a]) => a), [{ kind: 'fence', silentMs: 30_000 }, { kind: 'rejoin', fencedForMs: 22_000 }]);
  assert.equal(state.fencedAt, undefined);
});

test('a renewal sent before the fence but answered after it does not rejoin: the units stay stopped', () => {
  // sent at 29 s, the answer lost in the partition until 45 s: it says nothing about the store now
  const fenced = run([{ type: 'renewed', at: 0 }, { type: 'attempt', at: 29_000 }, { type: 'tick', at: 30_000 }]).state;
  const late = nextFence(fenced, { type: 'renewed', at: 29_000 }, GRACE);
  assert.deepEqual(late.action, { kind: 'none' });
  assert.equal(late.state.fencedAt, 30_000);
  assert.equal(nextFence(late.state, { type: 'renewed', at: 46_000 }, GRACE).action.kind, 'rejoin');
  // sent after the fence, answered much later (a call that waited out its deadline): fenced until the answer
  assert.deepEqual(nextFence(late.state, { type: 'renewed', at: 31_000, answeredAt: 61_000 }, GRACE).action, { kind: 'rejoin', fencedForMs: 31_000 });
});

test('after a rejoin, a second partition longer than the grace fences again', () => {
  const { actions } = run([{ type: 'renewed', at: 0 }, ...ticks(1_000, 31_000), { type: 'renewed', at: 40_000 }, ...ticks(41_000, 75_000)]);
  assert.deepEqual(actions.map(([, a]) => a.kind), ['fence', 'rejoin', 'fence']);
  assert.deepEqual(actions[2][1], { kind: 'fence', silentMs: 30_000 });
});

test('clock jumps: only the monotonic times count, and a time that goes back neither fences nor moves the last renewal back', () => {
  // the wall clock stepped an hour forward between two ticks: the agent feeds performance.now(), which did not
  const wallJump = run([{ type: 'renewed', at: 10_000 }, ...ticks(11_000, 12_000)]);
  assert.deepEqual(wallJump.actions, []);
  // a time before the last renewal (a caller's mistake, or a renewal answered out of order)
  const back = run([{ type: 'renewed', at: 50_000 }, { type: 'attempt', at: 10_000 }, { type: 'tick', at: 10_000 }, { type: 'renewed', at: 20_000 }, { type: 'attempt', at: 53_000 }, { type: 'tick', at: 79_999 }]);
  assert.deepEqual(back.actions, [], 'silence counted from 50 s, not 20 s');
  assert.equal(back.state.lastRenewedAt, 50_000);
  assert.deepEqual(nextFence(back.state, { type: 'tick', at: 80_000 }, GRACE).action, { kind: 'fence', silentMs: 30_000 });
});

test('the grace is the control plane\'s; the units stop a head start of min(TTL, grace / 2) before a replacement can be placed', () => {
  assert.equal(fenceAfterMs({ graceMs: 30_000, leaseTtlMs: 10_000 }), 30_000, 'the defaults: the grace, a TTL ahead');
  assert.equal(fenceAfterMs({ graceMs: 120_000, leaseTtlMs: 10_000 }), 120_000);
  assert.equal(fenceAfterMs({ graceMs: 5_000, leaseTtlMs: 10_000 }), 12_500, 'a short grace: the lease expired and half the grace passed');
  assert.equal(fenceAfterMs({ graceMs: 15_000, leaseTtlMs: 10_000 }), 17_500);
  // a 1 s grace: the ordinary gap between two renewals (a third of the TTL), even two missed, must not fence
  const short = { graceMs: 1_000, leaseTtlMs: 10_000 };
  const renewing: FenceInput[] = [];
  for (let t = 0; t < 60_000; t += 9_999) renewing.push({ type: 'renewed', at: t }, ...ticks(t + 500, t + 9_500));
  assert.deepEqual(run(renewing, initialFence(0), short).actions, []);
  assert.deepEqual(run([{ type: 'renewed', at: 0 }, ...ticks(1_000, 12_000)], initialFence(0), short).actions, [[11_000, { kind: 'fence', silentMs: 11_000 }]]);
  assert.deepEqual(run([{ type: 'renewed', at: 0 }, { type: 'attempt', at: 3_000 }, { type: 'tick', at: 10_499 }, { type: 'tick', at: 10_500 }], initialFence(0), short).actions, [[10_500, { kind: 'fence', silentMs: 10_500 }]]);
  // never before the lease may have expired, whatever the grace
  for (const graceMs of [0, 1, 1_000, 5_000, 19_999, 20_000, 30_000]) assert.ok(fenceAfterMs({ graceMs, leaseTtlMs: 10_000 }) >= 10_000, `grace ${graceMs}`);
  // and always before a replacement can be placed, when there is a grace at all
  for (const graceMs of [1, 1_000, 5_000, 30_000, 600_000]) assert.ok(fenceAfterMs({ graceMs, leaseTtlMs: 10_000 }) < 10_000 + graceMs, `grace ${graceMs}`);
});
