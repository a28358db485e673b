// An app that ignores SIGTERM is journaled when it is killed, with the Docker driver: a container that exited
// 137, not for its memory (test/helpers/stop-grace-scenario.ts; the process driver's run is
// stop-grace-process.test.ts).
// test-lane: docker light
import { stopGraceScenario } from './helpers/stop-grace-scenario.js';

// PID 1 of a container gets no default signal handling: a shell that ignores TERM is killed after the grace; one
// that traps it exits at once (its `sleep 1` ends first, well within the grace)
stopGraceScenario('docker', {
  stubborn: ['/bin/sh', '-c', "trap '' TERM; while true; do sleep 1; done"],
  polite: ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"],
});
