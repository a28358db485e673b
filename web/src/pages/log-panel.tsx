/**
 * A followed log: a unit's (GET /services/:name/units/:unit/logs?follow=true) or a whole service's (GET
 * /services/:name/logs?follow=true, one connection for all its units), read with fetch (it sends the token, which
 * EventSource cannot) as a text stream and kept as a bounded buffer of lines (unit-summary.ts), so a chatty app
 * cannot grow the page without end. The stream is aborted when the page goes away or what it follows moves. When
 * it stops, log-stream.ts decides: a passing trouble (Paz restarting, an agent not answering) is followed again
 * by itself after a backoff, the newest lines read anew; anything else is said, with a button to follow again.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { sessionFetch } from '../api/client';
import { enc } from './cluster-data';
import { appendLog, emptyLog, type LogBuffer } from './unit-summary';
import { afterServiceStream, afterUnitStream, type StopDecision, type StreamStop } from './log-stream';
import { backoffDelayMs } from '../../../src/core/backoff.js';
import '../ui/logs.css';

export const MAX_LOG_LINES = 500;
/** how many of the newest lines a panel starts with (and starts again with after a reconnection) */
const TAIL_LINES = 200;
/** follow again after 1 s, then 2, 4 … up to 15 s while it keeps failing */
const RETRY = { initialMs: 1000, maxMs: 15_000 };

type StreamState = { kind: 'connecting' } | { kind: 'following' } | { kind: 'ended'; why: string } | { kind: 'retrying'; why: string; inMs: number };

export function UnitLogs({ service, unit, placement }: { service: string; unit: string; placement: string }) {
  return <LogPanel url={`/services/${enc(service)}/units/${enc(unit)}/logs?follow=true&tail=${TAIL_LINES}`} label={`Logs of ${unit}`} resetKey={placement} afterStop={afterUnitStream} />;
}

export function ServiceLogs({ service }: { service: string }) {
  return <LogPanel url={`/services/${enc(service)}/logs?follow=true&tail=${TAIL_LINES}`} label={`Logs of every unit of ${service}`} resetKey={service} afterStop={afterServiceStream} />;
}

function LogPanel({ url, label, resetKey, afterStop }: { url: string; label: string; resetKey: string; afterStop: (stop: StreamStop) => StopDecision }) {
  const [log, setLog] = useState<LogBuffer>(emptyLog);
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  /** failed attempts in a row, for the backoff; back to 0 once a stream opens */
  const failures = useRef(0);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLog(emptyLog);
    setState({ kind: 'connecting' });
    const stopped = (stop: StreamStop) => {
      if (abort.signal.aborted) return;
      const d = afterStop(stop);
      if (!d.again) return setState({ kind: 'ended', why: d.why });
      const inMs = backoffDelayMs(failures.current++, RETRY);
      setState({ kind: 'retrying', why: d.why, inMs });
      timer = setTimeout(() => setAttempt((a) => a + 1), inMs);
    };
    void (async () => {
      try {
        const res = await sessionFetch(url, { signal: abort.signal });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          return stopped({ kind: 'refused', status: res.status, message: body.message ?? `the logs answered ${res.status}` });
        }
        failures.current = 0;
        setState({ kind: 'following' });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          // the last whole line, to tell how the stream ended
          text = (text + value).slice(-4096);
          setLog((b) => appendLog(b, value, MAX_LOG_LINES));
        }
        stopped({ kind: 'ended', lastLine: text.trimEnd().split('\n').pop() });
      } catch (e) {
        stopped({ kind: 'broke', message: (e as Error).message });
      }
    })();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [url, resetKey, attempt, afterStop]);

  // keep the newest line in view unless the reader scrolled up to read
  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log]);

  return (
    <section aria-labelledby="logs">
      <div className="logs-bar">
        <h2 id="logs">Logs</h2>
        <span role="status" className="muted" data-log-state={state.kind}>
          {state.kind === 'connecting'
            ? 'connecting…'
            : state.kind === 'following'
              ? `following live (newest ${MAX_LOG_LINES} lines kept)`
              : state.kind === 'retrying'
                ? `${state.why}; following again in ${Math.round(state.inMs / 1000)} s…`
                : state.why}
        </span>
        {state.kind !== 'following' && state.kind !== 'connecting' && (
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            Follow again
          </button>
        )}
      </div>
      <pre
        ref={box}
        className="logs"
        tabIndex={0}
        aria-label={label}
        data-lines={log.lines.length}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {log.dropped > 0 && <span className="muted">… {log.dropped} older lines not kept{'\n'}</span>}
        {log.lines.length === 0 && state.kind === 'following' ? <span className="muted">(no output yet)</span> : log.lines.join('\n')}
      </pre>
    </section>
  );
}
