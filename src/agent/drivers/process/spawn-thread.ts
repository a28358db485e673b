/**
 * The worker thread that spawns the process driver's units (see spawner.ts for why). It spawns what it is
 * asked to, answers with the pid (and the start time from /proc, read before this thread's loop turns,
 * while even a process that already exited is still a zombie), and reports each child's exit: the
 * children are this thread's, so their exits arrive here.
 */
import { spawn } from 'node:child_process';
import { parentPort } from 'node:worker_threads';
import { ProcReader } from './proc-reader.js';
import type { SpawnReply, SpawnRequest } from './spawner.js';

const port = parentPort!;
const proc = new ProcReader();

port.on('message', (req: SpawnRequest) => {
  const post = (reply: SpawnReply) => port.postMessage(reply);
  let child;
  try {
    // with uid/gid, libuv changes directory first, then drops the supplementary groups, then sets gid and uid
    const user = req.uid !== undefined && req.gid !== undefined ? { uid: req.uid, gid: req.gid } : {};
    child = spawn(req.file, req.args, { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', req.outFd, req.outFd], ...user });
  } catch (err) {
    post({ type: 'error', id: req.id, message: String(err) });
    return;
  }
  child.once('error', (err) => {
    if (child.pid === undefined) post({ type: 'error', id: req.id, message: String(err) });
  });
  child.once('spawn', () => {
    const pid = child.pid as number;
    child.once('exit', (code, signal) => post({ type: 'exit', pid, code, signal }));
    child.unref();
    post({ type: 'spawned', id: req.id, pid, startTicks: proc.stat(pid)?.startTicks ?? null });
  });
});
