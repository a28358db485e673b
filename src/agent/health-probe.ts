/**
 * Health probes of one instance on this host, as chosen by `chooseProbe` (core/probe-choice.ts): an HTTP GET
 * through the published port, a LISTEN socket in the unit's network namespace (reachable from outside it, for a
 * container), or a TCP connect that must stay open. Each is bounded by a timeout and never throws: it resolves to
 * ok or a short error for the unit's reason.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import type { ProbeChoice } from '../core/probe-choice.js';
import { explainUnreachable, listenersOf, reachFromOutside, type Reach } from './proc-net-tcp.js';

export interface ProbeResult {
  ok: boolean;
  error?: string;
  /** the HTTP status the app answered with (an HTTP probe that got an answer) */
  status?: number;
  /**
   * nothing listened at all, as far as the probe could tell (no listener in the unit's namespace, or the connection
   * refused): an app still starting, or one that never opens its port; not one listening on the wrong port
   */
  notListening?: boolean;
}

/** How long a probe connection must stay open: docker-proxy closes one it cannot forward within a few ms. */
export const HELD_CONNECT_MS = 150;

/** Connects and waits `holdMs`: ok when the other side neither refused nor closed the connection by then. */
export function heldConnectProbe(host: string, port: number, timeoutMs: number, holdMs = HELD_CONNECT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let hold: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      if (hold) clearTimeout(hold);
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: `port ${port}: no connection within ${timeoutMs} ms` }));
    socket.once('connect', () => {
      socket.setTimeout(0);
      hold = setTimeout(() => done({ ok: true }), holdMs);
    });
    socket.on('data', () => undefined); // a greeting (SMTP, Redis errors …) is fine
    socket.once('end', () => done({ ok: false, error: `port ${port}: connection closed right after it was accepted (nothing listens behind the published port)` }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: `port ${port}: ${e.code ?? e.message}` }));
  });
}

/** how much of a failed answer's body is read for the reason */
const BODY_BYTES = 256;
/** the reason quotes at most this much of it */
const BODY_LINE_CHARS = 100;

/**
 * What a failed answer's body says, for the reason (`GET /health answered 503: database connection lost`): its first
 * non-blank line, without control characters, cut short. Only bodies meant to be read as text: plain text, JSON, or
 * no content type (what `res.end('…')` sends); an HTML error page says nothing in one line. Undefined otherwise.
 */
export function bodyLine(contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'text/plain' && !/^application\/([\w.+-]+\+)?json$/.test(type)) return undefined;
  // eslint-disable-next-line no-control-regex
  const line = body.split('\n').map((l) => l.replace(/[\u0000-\u001f\u007f]/g, '').trim()).find((l) => l !== '');
  if (line === undefined) return undefined;
  return line.length > BODY_LINE_CHARS ? `${line.slice(0, BODY_LINE_CHARS - 1)}…` : line;
}

/** A GET that must get an HTTP answer: 2xx, or for `expect: 'answer'` any status below 500. */
export function httpProbe(host: string, port: number, path: string, timeoutMs: number, expect: '2xx' | 'answer' = '2xx'): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(r);
    };
    /** set once a failing status arrived: ends the probe with it and what of the body came */
    let failedWith: (() => void) | undefined;
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false, headers: { 'user-agent': 'paz-health-check', connection: 'close' } }, (res) => {
      const code = res.statusCode ?? 0;
      const ok = expect === '2xx' ? code >= 200 && code < 300 : code > 0 && code < 500;
      if (ok) {
        res.resume();
        return done({ ok: true, status: code });
      }
      // the body often says why (`database connection lost`): its first line goes into the reason
      let body = '';
      failedWith = () => {
        const said = bodyLine(res.headers['content-type'], body);
        done({ ok: false, status: code, error: `GET ${path} answered ${code}${said ? `: ${said}` : ''}` });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length >= BODY_BYTES) failedWith!();
      });
      res.once('end', failedWith);
      res.once('error', failedWith);
    });
    req.once('timeout', () => (failedWith ? failedWith() : done({ ok: false, error: `GET ${path}: no answer within ${timeoutMs} ms` })));
    req.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: `GET ${path}: ${e.code === 'ECONNRESET' ? 'connection closed without an answer' : (e.code ?? e.message)}`, ...(e.code === 'ECONNREFUSED' ? { notListening: true } : {}) }));
    req.end();
  });
}

/** nothing listens in the container at all (not on another port, not on its loopback only) */
function notListeningAt(reach: Reach): boolean {
  return reach.kind === 'absent' && reach.elsewhere.length === 0;
}

/** Runs the chosen probe against `host` (where the agent reaches published ports). */
export async function runProbe(choice: ProbeChoice, host: string, timeoutMs: number): Promise<ProbeResult> {
  switch (choice.kind) {
    case 'none':
      return { ok: true };
    case 'unpublished':
      return { ok: false, error: choice.error };
    case 'http': {
      const r = await httpProbe(host, choice.port, choice.path, timeoutMs, choice.expect);
      if (r.ok || r.status !== undefined || !choice.inside) return r;
      // No HTTP answer at all: through Docker's proxy that is most often nothing listening behind the published
      // port, or the app bound to the container's loopback. What listens inside says which, in the unit's reason.
      const seen = await listenersOf(choice.inside.pid);
      if (!('listeners' in seen)) return r;
      const reach = reachFromOutside(choice.inside.port, seen.listeners);
      const why = explainUnreachable(choice.inside.port, reach);
      return why ? { ok: false, error: `${r.error}; ${why}`, ...(notListeningAt(reach) ? { notListening: true } : {}) } : r;
    }
    case 'held-connect':
      return heldConnectProbe(host, choice.port, timeoutMs);
    case 'listen': {
      const seen = await listenersOf(choice.pid);
      if ('listeners' in seen) {
        if (!choice.fromOutside) return seen.listeners.some((l) => l.port === choice.port) ? { ok: true } : { ok: false, error: `nothing listens on port ${choice.port} in the unit's network namespace`, ...(seen.listeners.length === 0 ? { notListening: true } : {}) };
        const reach = reachFromOutside(choice.port, seen.listeners);
        const why = explainUnreachable(choice.port, reach);
        return why ? { ok: false, error: why, ...(notListeningAt(reach) ? { notListening: true } : {}) } : { ok: true };
      }
      // /proc not readable for this pid (another PID namespace, or it just exited): the connect that must stay open
      if (choice.hostPort !== undefined) return heldConnectProbe(host, choice.hostPort, timeoutMs);
      return { ok: false, error: seen.unreadable };
    }
  }
}
