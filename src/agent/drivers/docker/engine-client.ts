/**
 * The few Docker Engine API calls (v1.41, Docker 20.10) the docker driver makes, over node:http to the
 * daemon's socket (or tcp://).
 *
 * Not dockerode: dockerode loads docker-modem, ssh2 (with its crypto and a 16 MiB buffer of its own),
 * tar-fs, gRPC and protobufjs for BuildKit sessions at require time; together about 27 MiB of an idle
 * agent's memory (bench memory), for a dozen calls that are one HTTP request each. Failures look like
 * dockerode's (an Error with `statusCode`, `json` and the message "(HTTP code N) reason - message"), so
 * docker-errors.ts reads both the same way; socket errors and aborts are Node's own.
 */
import { request, type IncomingMessage } from 'node:http';
import { buffer } from 'node:stream/consumers';
import type Dockerode from 'dockerode';
import type { DockerConnection } from './docker-host.js';

/** the API version Paz speaks: Docker 20.10 and every later engine answer it */
const API = '/v1.41';

export interface EngineError extends Error {
  statusCode: number;
  json: unknown;
  reason?: string;
}

type Query = Record<string, string | number | boolean | object | undefined>;

function queryString(query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    q.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** the whole body of an answer (node:stream/consumers) */
export const readAll = (res: IncomingMessage): Promise<Buffer> => buffer(res);

async function engineError(res: IncomingMessage, reason: string | undefined): Promise<EngineError> {
  const body = (await readAll(res).catch(() => Buffer.alloc(0))).toString('utf8');
  let json: unknown = null;
  try {
    json = body ? JSON.parse(body) : null;
  } catch {
    json = body;
  }
  const cause = json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string' ? (json as { message: string }).message : body;
  const err = new Error(`(HTTP code ${res.statusCode}) ${reason ?? 'unexpected'} - ${cause} `) as EngineError;
  err.statusCode = res.statusCode ?? 0;
  err.json = json;
  if (reason) err.reason = reason;
  return err;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** what a non-2xx status means, for the message (as dockerode words it) */
  reasons?: Record<number, string>;
}

export class EngineClient {
  constructor(private readonly connection: DockerConnection) {}

  /** one call; resolves with the response once its status is 2xx (the body not read yet) */
  open(path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const target = 'socketPath' in this.connection ? { socketPath: this.connection.socketPath } : { host: this.connection.host, port: this.connection.port };
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...target,
          method: opts.method ?? 'GET',
          path: `${API}${path}${queryString(opts.query)}`,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...opts.headers },
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(res);
          else engineError(res, opts.reasons?.[status]).then(reject, reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** one call whose answer is JSON (or nothing) */
  async json<T>(path: string, opts: CallOptions = {}): Promise<T> {
    const text = (await readAll(await this.open(path, opts))).toString('utf8');
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** one call whose answer is read whole, as bytes */
  async buffer(path: string, opts: CallOptions = {}): Promise<Buffer> {
    return readAll(await this.open(path, opts));
  }

  ping(signal?: AbortSignal): Promise<Buffer> {
    return this.buffer('/_ping', { signal });
  }

  inspectImage(name: string, signal?: AbortSignal): Promise<Dockerode.ImageInspectInfo> {
    return this.json(`/images/${encodeURIComponent(name)}/json`, { signal, reasons: { 404: 'no such image' } });
  }

  /** every image on the host (`docker images`): its id, tags and registry digests */
  listImages(signal?: AbortSignal): Promise<Array<{ Id: string; RepoTags?: string[] | null; RepoDigests?: string[] | null; Size?: number }>> {
    return this.json('/images/json', { signal });
  }

  /** `docker rmi REF` without force: removes the reference, and the image with its last one unless a container uses it */
  async removeImage(ref: string, signal?: AbortSignal): Promise<void> {
    await this.buffer(`/images/${encodeURIComponent(ref)}`, { method: 'DELETE', signal, reasons: { 404: 'no such image', 409: 'conflict' } });
  }

  createContainer(options: Dockerode.ContainerCreateOptions, signal?: AbortSignal): Promise<{ Id: string }> {
    const { name, ...body } = options;
    return this.json('/containers/create', { method: 'POST', query: { name }, body, signal, reasons: { 404: 'no such image', 409: 'conflict' } });
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.buffer(`/containers/${encodeURIComponent(id)}/start`, { method: 'POST', signal, reasons: { 304: 'container already started', 404: 'no such container' } });
  }

  async stopContainer(id: string, t: number, signal?: AbortSignal): Promise<void> {
    await this.buffer(`/containers/${encodeURIComponent(id)}/stop`, { method: 'POST', query: { t }, signal, reasons: { 304: 'container already stopped', 404: 'no such container' } });
  }

  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.buffer(`/containers/${encodeURIComponent(id)}`, { method: 'DELETE', query: { force: true, v: true }, signal, reasons: { 404: 'no such container', 409: 'conflict' } });
  }

  inspectContainer(id: string, signal?: AbortSignal): Promise<Dockerode.ContainerInspectInfo> {
    return this.json(`/containers/${encodeURIComponent(id)}/json`, { signal, reasons: { 404: 'no such container' } });
  }

  listContainers(filters: Record<string, string[]>, signal?: AbortSignal): Promise<Dockerode.ContainerInfo[]> {
    return this.json('/containers/json', { query: { all: true, filters }, signal });
  }

  /** the raw (multiplexed) log bytes; with follow the open response, which streams until the container stops */
  containerLogs(id: string, query: Query, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open(`/containers/${encodeURIComponent(id)}/logs`, { query, signal, reasons: { 404: 'no such container' } });
  }

  /** `docker exec`'s first half: an exec instance of `Cmd` in a running container, not started yet */
  createExec(id: string, body: { Cmd: string[]; AttachStdout: true; AttachStderr: true; Tty: false }, signal?: AbortSignal): Promise<{ Id: string }> {
    return this.json(`/containers/${encodeURIComponent(id)}/exec`, { method: 'POST', body, signal, reasons: { 404: 'no such container', 409: 'container is not running' } });
  }

  /** starts an exec instance: its output (multiplexed as a log's), open until the command ends */
  startExec(execId: string, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open(`/exec/${encodeURIComponent(execId)}/start`, { method: 'POST', body: { Detach: false, Tty: false }, signal, reasons: { 404: 'no such exec instance', 409: 'container is not running' } });
  }

  /** an exec instance's state: whether it runs, its exit code, and its process's pid on the host */
  inspectExec(execId: string, signal?: AbortSignal): Promise<{ Running: boolean; ExitCode: number | null; Pid: number }> {
    return this.json(`/exec/${encodeURIComponent(execId)}/json`, { signal, reasons: { 404: 'no such exec instance' } });
  }

  containerStats(id: string, signal?: AbortSignal): Promise<unknown> {
    return this.json(`/containers/${encodeURIComponent(id)}/stats`, { query: { stream: false }, signal, reasons: { 404: 'no such container' } });
  }

  /** the event stream (newline-delimited JSON), open until the daemon or `signal` ends it */
  events(query: { since?: number; filters: Record<string, string[]> }, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open('/events', { query, signal });
  }

  /** `docker pull REF` (REF with its tag or digest): the progress stream, open until the pull ends */
  pull(ref: string, registryAuth: string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open('/images/create', { method: 'POST', query: splitRepositoryTag(ref), ...(registryAuth ? { headers: { 'X-Registry-Auth': registryAuth } } : {}), signal });
  }
}

/** `repo:tag` or `repo@digest` as the pull call's fromImage and tag, as the docker CLI sends them (a port's colon is not a tag) */
export function splitRepositoryTag(ref: string): { fromImage: string; tag?: string } {
  const at = ref.indexOf('@');
  const sep = at >= 0 ? at : ref.lastIndexOf(':');
  if (sep < 0 || ref.slice(sep + 1).includes('/')) return { fromImage: ref };
  return { fromImage: ref.slice(0, sep), tag: ref.slice(sep + 1) };
}
