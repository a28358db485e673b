/**
 * Where one of Paz's original suites runs: on a fresh `paz server` of its own (each describe starts one),
 * or on one server shared by all three suites run in sequence (directory, orchestrator, scheduler), as the
 * originals ran against one deployment. Checks that only hold on fresh state (exact version numbers, exact
 * lists) are ours, not Paz's, and run only on a fresh server; Paz's numbered checks run in both modes.
 */
import { before, after } from 'node:test';
import { PazProcess } from '../helpers/paz-server.js';

export type SuiteTarget = 'own' | PazProcess;

export interface SuiteServer {
  paz: PazProcess;
  /** true when nothing ran on this server before the describe that asked for it */
  fresh: boolean;
  /** runs after the describe's tests, before its own server (if any) is closed */
  cleanup(fn: () => Promise<unknown>): void;
}

/** Call inside a describe: its own server (started before, closed after), or the shared one. */
export function useServer(target: SuiteTarget): SuiteServer {
  const cleanups: Array<() => Promise<unknown>> = [];
  const paz = target === 'own' ? new PazProcess() : target;
  if (target === 'own') before(() => paz.start());
  after(async () => {
    for (const fn of cleanups) await fn();
    if (target === 'own') await paz.close();
  });
  return { paz, fresh: target === 'own', cleanup: (fn) => void cleanups.push(fn) };
}

/** Paz's fixture service, as its directory and scheduler suites define it (paz-original.md §8.1). */
export const myService = {
  name: 'my-service',
  description: 'Test service',
  dockerRepository: 'lukebond/my-service',
  publicFacing: true,
  ports: [{ container: 9000, host: 80 }],
  env: { suchKey: 'veryValue' },
  numInstances: 1,
};
