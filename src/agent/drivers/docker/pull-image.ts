/**
 * `docker pull` with progress and bounds. Docker reports a pull as a stream of JSON messages and reports
 * most failures *inside* that stream with HTTP 200 (`{"error": ...}`), so the stream is read here rather
 * than with a follow-progress helper (dockerode's), which treats such a stream as a success. A registry login goes to
 * dockerd as the X-Registry-Auth header (dockerd keeps no credentials of its own). A pull is bounded by
 * an overall timeout, by an idle timeout (no message for a while: a registry that accepted the
 * connection and went silent) and by the caller's AbortSignal.
 */
import type { EngineClient } from './engine-client.js';
import { DriverError, type PullProgress } from '../driver.js';
import { classifyPullError } from './docker-errors.js';
import { pullError, toPullProgress, type DockerPullMessage } from './docker-mapping.js';
import { registryOf, withDefaultTag } from '../../../core/image-ref.js';
import { LineSplitter } from './line-splitter.js';
import { xRegistryAuth, type RegistryLogin } from '../../../core/registry-auth.js';

export interface PullBounds {
  /** the whole pull; default 15 minutes */
  timeoutMs?: number;
  /** longest silence between two progress messages; default 2 minutes */
  idleTimeoutMs?: number;
}

type StopReason = { kind: 'timeout'; ms: number } | { kind: 'idle'; ms: number } | { kind: 'aborted' };

export async function pullImage(
  docker: EngineClient,
  image: string,
  onProgress: ((p: PullProgress) => void) | undefined,
  signal: AbortSignal | undefined,
  bounds: PullBounds = {},
  login?: RegistryLogin,
): Promise<void> {
  const ref = withDefaultTag(image);
  const registry = registryOf(ref);
  const timeoutMs = bounds.timeoutMs ?? 15 * 60_000;
  const idleTimeoutMs = bounds.idleTimeoutMs ?? 2 * 60_000;

  const abort = new AbortController();
  let stopReason: StopReason | undefined;
  const stop = (reason: StopReason): void => {
    if (stopReason) return;
    stopReason = reason;
    abort.abort();
  };
  const onCallerAbort = (): void => stop({ kind: 'aborted' });
  if (signal?.aborted) throw new DriverError('PULL_FAILED', `pull of ${ref} aborted before it started`);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const overall = setTimeout(() => stop({ kind: 'timeout', ms: timeoutMs }), timeoutMs);
  let idle = setTimeout(() => stop({ kind: 'idle', ms: idleTimeoutMs }), idleTimeoutMs);
  const stillAlive = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => stop({ kind: 'idle', ms: idleTimeoutMs }), idleTimeoutMs);
  };

  const explainStop = (err: unknown): DriverError => {
    if (!stopReason) return classifyPullError(err, ref, registry, login?.username);
    if (stopReason.kind === 'aborted') return new DriverError('PULL_FAILED', `pull of ${ref} aborted`, err);
    const what = stopReason.kind === 'timeout'
      ? `did not finish within ${Math.round(stopReason.ms / 1000)} s`
      : `made no progress for ${Math.round(stopReason.ms / 1000)} s`;
    return new DriverError('REGISTRY_UNREACHABLE', `pull of ${ref} from registry ${registry} ${what}`, err);
  };

  try {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(ref, login ? xRegistryAuth(login, registry) : undefined, abort.signal);
    } catch (err) {
      throw explainStop(err);
    }
    await new Promise<void>((resolve, reject) => {
      const lines = new LineSplitter();
      let failure: string | undefined;
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (err !== undefined) reject(explainStop(err));
        else if (failure !== undefined) reject(classifyPullError(failure, ref, registry, login?.username));
        else resolve();
      };
      const handleLine = (line: string): void => {
        if (line.trim() === '') return;
        let msg: DockerPullMessage;
        try {
          msg = JSON.parse(line) as DockerPullMessage;
        } catch {
          return; // not a progress message; Docker sends none such
        }
        const error = pullError(msg);
        if (error !== undefined) failure ??= error;
        else onProgress?.(toPullProgress(msg));
      };
      stream.on('data', (chunk: Buffer) => {
        stillAlive();
        for (const line of lines.push(chunk)) handleLine(line);
      });
      stream.on('end', () => {
        for (const line of lines.end()) handleLine(line);
        settle();
      });
      stream.on('error', (err: unknown) => settle(err));
      // 'close' without 'end': the connection to dockerd was cut (or we aborted it)
      stream.on('close', () => settle(stopReason ? new Error('aborted') : new Error('connection to dockerd closed during the pull')));
    });
  } finally {
    clearTimeout(overall);
    clearTimeout(idle);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}
