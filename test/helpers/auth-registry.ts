/**
 * A private registry for tests: Debian's docker-registry (distribution) on a free port of the test
 * namespace's loopback, requiring htpasswd (bcrypt) logins, as scripts/lib/test-env.mjs starts the open one.
 * 127.0.0.0/8 registries are insecure (plain HTTP) for dockerd by default, so the test dockerd pushes to and
 * pulls from it as it is. Stop it with stop() (by PID), in a finally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import Docker from 'dockerode';
import { freePort, tmpDir } from './env.js';
import { waitFor } from './wait.js';
import { xRegistryAuth, type RegistryLogin } from '../../src/core/registry-auth.js';

export interface AuthRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  /** the registry's log (its access log included) */
  logFile: string;
  /** pulls `source` from wherever it is, tags it `<host>/<path>` and pushes it with `login`; returns the pushed digest */
  push(docker: Docker, source: string, path: string, login: RegistryLogin): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the registry with one account per entry of `users` (name -> password). */
export async function startAuthRegistry(users: Record<string, string>): Promise<AuthRegistry> {
  const dir = tmpDir('paz-auth-registry-');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  // cost 5: the lowest bcrypt allows, so logins stay quick on a busy machine
  writeFileSync(join(dir, 'htpasswd'), Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}\n`).join(''));
  writeFileSync(join(dir, 'registry.yml'), [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: ${host}`,
    'auth:',
    '  htpasswd:',
    '    realm: paz-test-private',
    `    path: ${join(dir, 'htpasswd')}`,
    '',
  ].join('\n'));
  const logFile = join(dir, 'registry.log');
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(`docker-registry with htpasswd auth on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      const res = await fetch(`http://${host}/v2/`).catch(() => undefined);
      return res?.status === 401;
    }, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }

  const push = async (docker: Docker, source: string, path: string, login: RegistryLogin): Promise<string> => {
    await follow(docker, await docker.pull(source));
    const [repo, tag] = [`${host}/${path.split(':')[0]}`, path.split(':')[1] ?? 'latest'];
    await docker.getImage(source).tag({ repo, tag });
    const image = docker.getImage(`${repo}:${tag}`);
    const out = await follow(docker, await image.push({ tag, authconfig: { key: xRegistryAuth(login, host) } } as Docker.ImagePushOptions));
    const digest = out.map((m) => (m.aux as { Digest?: string } | undefined)?.Digest).find(Boolean);
    // the local copy goes: a deploy must pull it from the registry, through its login
    await image.remove();
    if (!digest) throw new Error(`push of ${repo}:${tag} reported no digest: ${JSON.stringify(out.slice(-3))}`);
    return digest;
  };
  return { host, logFile, push, stop };
}

/** Reads a pull or push stream to its end; rejects on an error message inside it. */
async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<Record<string, unknown>>> {
  const out = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, res: Array<Record<string, unknown>>) => (err ? reject(err) : resolve(res))));
  const failed = out.find((m) => m.error);
  if (failed) throw new Error(String(failed.error));
  return out;
}

