/**
 * An app that ignores SIGTERM: every deploy that retires it waits its whole stop grace and then kills it, and
 * nothing said why deploys of it took that much longer. Its agent now writes a `unit-killed` journal entry (and a
 * warning) naming the grace and the setting; an app that exits on SIGTERM gets none; one restarted again and
 * again for failing its check is journaled once. The scenario, run on both drivers by e2e-stop-grace.test.ts
 * (Docker: a container that exited 137, not for its memory) and stop-grace-process.test.ts (the process driver:
 * it knows it sent SIGKILL), in files of their own so that the process driver's half does not hold the test
 * environment's one dockerd.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request, runPaz } from './paz-server.js';
import { skipUnlessDocker } from './env.js';
import { startPazUp, type PazUp } from './paz-up.js';
import { waitFor } from './wait.js';

const GRACE_SECONDS = 3;

interface JournalEntry {
  event: string;
  serviceName: string;
  version: number;
  message?: string;
}

export function stopGraceScenario(driver: 'process' | 'docker', commands: { stubborn: string[]; polite: string[] }) {
  describe(`an app that ignores SIGTERM is journaled when it is killed (${driver} driver)`, driver === 'docker' ? skipUnlessDocker : {}, () => {
    let paz: PazProcess;
    let up: PazUp | undefined;

    before(async () => {
      if (driver === 'docker') {
        up = await startPazUp();
        paz = up.paz;
      } else {
        paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', `paz-e2e-stop-grace-${process.pid}`] });
        await paz.start();
      }
      for (const name of ['stubborn', 'polite'] as const) {
        const created = await request('POST', `${paz.orchestrator}/services`, {
          name,
          dockerRepository: up ? up.env.image1 : `local/${name}`,
          command: commands[name],
          numInstances: 1,
          rollout: { stopGraceSeconds: GRACE_SECONDS, drainSeconds: 1 },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
    });

    after(async () => {
      for (const name of ['stubborn', 'polite']) await request('DELETE', `${paz.orchestrator}/services/${name}`).catch(() => undefined);
      if (up) await up.close();
      else await paz?.close();
    });

    it('a deploy that retires it journals the kill with its grace and the setting; an app that exits on SIGTERM gets no entry', async () => {
      for (const round of [1, 2]) {
        for (const name of ['stubborn', 'polite']) {
          const deployed = await runPaz(['deploy', name], '', paz.cliEnv);
          assert.equal(deployed.code, 0, `${name}, deploy ${round}: ${deployed.stdout}${deployed.stderr}`);
        }
      }
      const journal = async (name: string) => ((await request('GET', `${paz.scheduler}/journal?all=true&service=${name}`)).body as { doc: JournalEntry[] }).doc;
      // the deploy returns once the old instance is stopped; the entry is written right after the stop
      const killed = await waitFor('the kill in the journal', async () => {
        const entries = (await journal('stubborn')).filter((e) => e.event === 'unit-killed');
        return entries.length > 0 ? entries : undefined;
      }, 10_000, 100);
      console.log(`# stubborn's journal: ${killed.map((e) => e.message).join(' | ')}`);
      assert.equal(killed.length, 1, 'one entry: version 1 retired once');
      assert.equal(killed[0]!.version, 1);
      assert.match(killed[0]!.message ?? '', new RegExp(`^stubborn-1-1 did not exit within its ${GRACE_SECONDS} s stop grace after SIGTERM and was killed while it was being retired: .*rollout\\.stopGraceSeconds`));
      assert.deepEqual((await journal('polite')).filter((e) => e.event === 'unit-killed'), [], 'an app that exits on SIGTERM is not said to be killed');
      // the CLI's journal shows it
      const cli = await runPaz(['journal', 'stubborn'], '', paz.cliEnv);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /unit-killed +stubborn +1 +stubborn-1-1 did not exit within its 3 s stop grace/);
    });

    if (driver === 'process') {
      it('an app that ignores SIGTERM and keeps failing its check: its restarts kill it each time, journaled once', async () => {
        const created = await request('POST', `${paz.orchestrator}/services`, {
          name: 'sulky',
          dockerRepository: 'local/sulky',
          command: [process.execPath, '-e', "process.on('SIGTERM', () => {}); require('node:http').createServer((q, s) => { s.statusCode = 500; s.end('not ready'); }).listen(Number(process.env.PORT), '127.0.0.1')"],
          ports: [{ container: 9000 }],
          numInstances: 1,
          healthCheck: { path: '/health', intervalSeconds: 0.5, timeoutSeconds: 1, unhealthyThreshold: 1, gracePeriodSeconds: 0 },
          rollout: { stopGraceSeconds: 1 },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await request('POST', `${paz.orchestrator}/services/sulky/deploy`, {})).status, 201);
        await waitFor('two restarts', async () => {
          const [u] = (await request('GET', `${paz.orchestrator}/services/sulky/units`)).body as Array<{ restarts: number; state: string; reason?: string }>;
          if (u && u.restarts >= 3) return true;
          // a timeout says where the unit was (this waited in vain once in a full run, never alone)
          throw new Error(u ? `restarts ${u.restarts}, ${u.state}${u.reason ? `: ${u.reason}` : ''}` : 'no unit yet');
        }, 60_000, 250);
        const entries = ((await request('GET', `${paz.scheduler}/journal?all=true&service=sulky`)).body as { doc: JournalEntry[] }).doc.filter((e) => e.event === 'unit-killed');
        // its first check may come before it listens on a busy machine (no start-up grace here): refused, or its 500
        console.log(`# sulky's journal: ${entries.map((e) => e.message).join(' | ')}`);
        assert.equal(entries.length, 1, 'its restarts are journaled once, not at every restart');
        assert.match(entries[0]!.message ?? '', /^sulky-1-1 did not exit within its 1 s stop grace after SIGTERM and was killed while it was being restarted \(unhealthy: GET \/health/);
        assert.equal((await request('DELETE', `${paz.orchestrator}/services/sulky`)).status, 204);
      });
    }
  });
}
