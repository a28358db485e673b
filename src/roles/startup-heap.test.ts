// The young generation is held at its starting size while a server starts, and grows again once it is up
// (startup-heap.ts): checked against V8 itself, so a Node upgrade that stops honouring the flag shows here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGenerationWhileStarting, startupDone } from './startup-heap.js';

const newSpaceBytes = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

/** allocates short-lived objects as start-up does, enough for several scavenges */
function churn(): void {
  let keep: unknown[] = [];
  for (let i = 0; i < 400_000; i++) {
    keep.push({ i, s: `item-${i}`, a: [i, i + 1] });
    if (keep.length > 20_000) keep = [];
  }
}

test('held while starting, the young generation does not grow; once up, it grows with the load again', () => {
  // V8 starts it at 1 MiB a semi-space (2 MiB as the statistics count it once used); left alone, this churn takes it to 32
  const small = 4 * 1024 * 1024;
  holdYoungGenerationWhileStarting();
  churn();
  churn();
  assert.ok(newSpaceBytes() <= small, `held: ${newSpaceBytes()} bytes`);
  startupDone();
  for (let i = 0; i < 6 && newSpaceBytes() <= small; i++) churn();
  assert.ok(newSpaceBytes() > small, `grows again: ${newSpaceBytes()} bytes`);
  startupDone(); // a second call changes nothing
});
