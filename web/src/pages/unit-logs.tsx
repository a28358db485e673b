/**
 * A unit's log, followed: GET /services/:name/units/:unit/logs?follow=true read with fetch (it sends the
 * token, which EventSource cannot) as a text stream, kept as a bounded buffer of lines (unit-summary.ts),
 * so a chatty unit cannot grow the page without end. The stream is aborted when the page goes away or
 * the unit moves; when it ends (the unit restarted or stopped) the page says so and offers to follow again.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { authHeaders } from '../api/client';
import { enc } from './cluster-data';
import { appendLog, emptyLog, type LogBuffer } from './unit-summary';

export const MAX_LOG_LINES = 500;

type StreamState = { kind: 'connecting' } | { kind: 'following' } | { kind: 'ended'; why: string };

export function UnitLogs({ service, unit, placement }: { service: string; unit: string; placement: string }) {
  const [log, setLog] = useState<LogBuffer>(emptyLog);
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    setLog(emptyLog);
    setState({ kind: 'connecting' });
    void (async () => {
      try {
        const res = await fetch(`/services/${enc(service)}/units/${enc(unit)}/logs?follow=true&tail=200`, { headers: authHeaders(), signal: abort.signal });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          setState({ kind: 'ended', why: body.message ?? `the logs answered ${res.status}` });
          return;
        }
        setState({ kind: 'following' });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          setLog((b) => appendLog(b, value, MAX_LOG_LINES));
        }
        setState({ kind: 'ended', why: 'the log stream ended (the unit stopped or restarted)' });
      } catch (e) {
        if (!abort.signal.aborted) setState({ kind: 'ended', why: `the log stream broke: ${(e as Error).message}` });
      }
    })();
    return () => abort.abort();
  }, [service, unit, placement, attempt]);

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
          {state.kind === 'connecting' ? 'connecting…' : state.kind === 'following' ? `following live (newest ${MAX_LOG_LINES} lines kept)` : state.why}
        </span>
        {state.kind === 'ended' && (
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            Follow again
          </button>
        )}
      </div>
      <pre
        ref={box}
        className="logs"
        tabIndex={0}
        aria-label={`Logs of ${unit}`}
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
