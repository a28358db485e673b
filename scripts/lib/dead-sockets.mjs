// Unix sockets nobody listens on any more: containerd's shims leave theirs in /run/containerd/s when they are
// killed (a test that SIGKILLs dockerd, the teardown stopping what a test left), and the directory outlives
// the run. A socket is dead when connecting to it is refused; a live one (another daemon's) accepts and stays.
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** whether connecting to the unix socket at `path` is refused (nothing listens); a slow answer counts as alive */
function refused(path) {
  return new Promise((resolve) => {
    const socket = connect(path);
    const timer = setTimeout(() => done(false), 2_000);
    function done(dead) {
      clearTimeout(timer);
      socket.destroy();
      resolve(dead);
    }
    socket.once('connect', () => done(false));
    socket.once('error', (err) => done(err.code === 'ECONNREFUSED'));
  });
}

/** removes the dead sockets directly in `dir`; returns their names */
export async function removeDeadSockets(dir) {
  if (!existsSync(dir)) return [];
  const removed = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (!lstatSync(path).isSocket() || !(await refused(path))) continue;
      rmSync(path, { force: true });
      removed.push(name);
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
