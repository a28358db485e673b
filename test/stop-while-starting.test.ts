// A SIGTERM that arrives while paz is still starting (its APIs answer, its agent and router are still coming
// up) stops it cleanly: exit 0, no HAProxy left behind, the data dir released. Before, Node's default action
// killed it half-started and left its router running.
// test-lane: normal
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, freePort } from './helpers/paz-server.js';
import { haproxyOf } from './helpers/procs.js';
import { waitFor } from './helpers/wait.js';

describe('a stop signal while paz is starting', () => {
  const started: PazProcess[] = [];
  after(async () => {
    for (const p of started) await p.close();
  });

  it('stops cleanly, router included, however early after the APIs answer', async () => {
    for (let i = 0; i < 3; i++) {
      const routerPort = await freePort();
      const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1', '--cgroup-parent', `paz-stopstart-${process.pid}`] });
      started.push(paz);
      await paz.start();
      // at once: the agent (and its router) may still be starting
      const code = await paz.stop();
      assert.equal(code, 0, `a clean exit (round ${i}):\n${paz.output}`);
      await waitFor('no HAProxy of this paz left', async () => haproxyOf(paz.dataDir).length === 0 || undefined, 10_000);
      assert.ok(!existsSync(join(paz.dataDir, 'paz.pid')), 'the data dir is released');
    }
  });
});
