// An app that ignores SIGTERM is journaled when it is killed, with the process driver, which knows it sent
// SIGKILL (test/helpers/stop-grace-scenario.ts; the Docker driver's run is e2e-stop-grace.test.ts).
// test-lane: light slow
import { stopGraceScenario } from './helpers/stop-grace-scenario.js';

stopGraceScenario('process', {
  stubborn: [process.execPath, '-e', "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000)"],
  polite: [process.execPath, '-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"],
});
