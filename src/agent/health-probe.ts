/**
 * Health probes against an instance's endpoint on this host: a TCP connect, or an HTTP GET that must answer
 * 2xx. Both are bounded by a timeout and never throw: they resolve to ok or a short error for the unit's reason.
 */
import { connect } from 'node:net';
import { request } from 'node:http';

export interface ProbeResult {
  ok: boolean;
  error?: string;
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: `port ${port}: no answer within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: `port ${port}: ${e.code ?? e.message}` }));
  });
}

export function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(r);
    };
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'paz-health-check', connection: 'close' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(code >= 200 && code < 300 ? { ok: true } : { ok: false, error: `GET ${path} answered ${code}` });
    });
    req.once('timeout', () => done({ ok: false, error: `GET ${path}: no answer within ${timeoutMs} ms` }));
    req.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: `GET ${path}: ${e.code ?? e.message}` }));
    req.end();
  });
}
