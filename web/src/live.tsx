/**
 * The app's ONE live connection to GET /events. EventSource cannot send Authorization, so this reads the
 * stream with fetch and splits it with the CLI's SSE parser (src/client/sse-frames.ts). After a drop it
 * waits (exponential backoff, live/connection-state.ts) and resumes with Last-Event-ID: nothing is missed,
 * nothing comes twice. If the server can no longer resume (the revision was compacted) it starts from now
 * and tells every page to re-read ('resync').
 *
 * Pages use useLiveResource(path, isRelevant): it loads, then loads again whenever a relevant event newer
 * than the revision its answer was read at arrives (live/follow.ts). Loads coalesce: a burst of events
 * during a load makes at most one more load, and none if the answer already holds them.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { SseFrames } from '../../src/client/sse-frames.js';
import { api, ApiError, sessionFetch, type Answer } from './api/client';
import { connectionLost, dropped, initialConnection, opened, received, reconnecting, type ConnectionState } from './live/connection-state';
import { notLoaded, onEvent, onFailed, onLoaded, onReload, type Decision, type Follow } from './live/follow';
import { toLiveEvent, type LiveEvent } from './live/relevance';

type Handler = (e: LiveEvent) => void;

interface Live {
  state: ConnectionState;
  subscribe(h: Handler): () => void;
  retryNow(): void;
}

const LiveContext = createContext<Live | undefined>(undefined);

/** Sent to every subscriber when missed events could not be replayed: re-read everything. */
export const RESYNC: LiveEvent = { event: 'resync', data: null };

function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('live hooks outside <LiveProvider>');
  return live;
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<ConnectionState>(initialConnection);
  const stateRef = useRef(state);
  const handlers = useRef(new Set<Handler>());
  const wake = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let abort: AbortController | undefined;
    const update = (f: (s: ConnectionState) => ConnectionState) => {
      stateRef.current = f(stateRef.current);
      setState(stateRef.current);
    };
    const emit = (e: LiveEvent) => handlers.current.forEach((h) => h(e));

    /** One connection, until it ends; answers why it ended. */
    async function connectOnce(): Promise<string> {
      abort = new AbortController();
      const last = stateRef.current.lastEventId;
      let res: Response;
      try {
        res = await sessionFetch('/events', { headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': last } : {}) }, signal: abort.signal });
      } catch (e) {
        return `the orchestrator did not answer (${(e as Error).message})`;
      }
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        if (res.status === 400 && last) {
          // too far behind to resume: start from now, and have every page re-read
          update((s) => ({ ...s, lastEventId: undefined }));
          emit(RESYNC);
        }
        return body.message ?? `GET /events answered ${res.status}`;
      }
      update(opened);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const frames = new SseFrames();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return 'the orchestrator closed the connection';
          for (const frame of frames.push(value.replace(/\r\n/g, '\n'))) {
            if (frame.event === 'error') return `the event stream failed: ${frame.data}`;
            update((s) => received(s, frame.id));
            const e = toLiveEvent(frame);
            if (e) emit(e);
          }
        }
      } catch (e) {
        return `the connection dropped (${(e as Error).message})`;
      }
    }

    void (async () => {
      while (!stopped) {
        const why = await connectOnce();
        if (stopped) return;
        update((s) => dropped(s, why));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stateRef.current.retryInMs);
          wake.current = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        update(reconnecting);
      }
    })();
    return () => {
      stopped = true;
      abort?.abort();
      wake.current();
    };
  }, []);

  const subscribe = useCallback((h: Handler) => {
    handlers.current.add(h);
    return () => void handlers.current.delete(h);
  }, []);
  const retryNow = useCallback(() => wake.current(), []);
  return <LiveContext.Provider value={{ state, subscribe, retryNow }}>{children}</LiveContext.Provider>;
}

/** Calls `handler` for each live event `filter` accepts (both may change between renders). */
export function useLiveEvents(filter: (e: LiveEvent) => boolean, handler: (e: LiveEvent) => void): void {
  const { subscribe } = useLive();
  const latest = useRef({ filter, handler });
  latest.current = { filter, handler };
  useEffect(() => subscribe((e) => latest.current.filter(e) && latest.current.handler(e)), [subscribe]);
}

/** The connection's state and "retry now", for the banner. */
export function useConnection(): { state: ConnectionState; lost: boolean; retryNow(): void } {
  const { state, retryNow } = useLive();
  return { state, lost: connectionLost(state), retryNow };
}

export interface LiveResource<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

/**
 * Loads with `load` (keyed by `key`: a new key loads anew), then again when a relevant event arrives
 * that is newer than the revision the answer was read at (live/follow.ts decides; events the answer
 * already holds change nothing). `refreshEveryMs` also reads it again at that interval, for answers that
 * change with time alone (health: a heartbeat's age).
 */
export function useLiveQuery<T>(key: string, load: () => Promise<Answer<T>>, isRelevant: (e: LiveEvent) => boolean, refreshEveryMs?: number): LiveResource<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const follow = useRef<Follow>(notLoaded);
  const loader = useRef(load);
  loader.current = load;
  const currentKey = useRef(key);
  currentKey.current = key;

  const run = useCallback(async () => {
    for (let again = true; again; ) {
      const loadedKey = currentKey.current;
      let decision: Decision;
      try {
        const answer = await loader.current();
        if (loadedKey !== currentKey.current) {
          decision = onLoaded(follow.current, undefined);
        } else {
          setState({ data: answer.doc, loading: false });
          decision = onLoaded(follow.current, answer.revision);
        }
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, 'CLIENT', (e as Error).message);
        if (loadedKey === currentKey.current) setState((s) => ({ data: s.data, error: err, loading: false }));
        decision = onFailed(follow.current);
      }
      follow.current = decision.next;
      again = decision.load;
    }
  }, []);
  const decide = useCallback(
    (d: Decision) => {
      follow.current = d.next;
      if (d.load) void run();
    },
    [run],
  );
  const reload = useCallback(() => decide(onReload(follow.current)), [decide]);

  useEffect(() => {
    setState({ loading: true });
    // a new key: nothing it shows was read yet
    follow.current = { ...follow.current, readAt: undefined };
    reload();
  }, [key, reload]);

  useEffect(() => {
    if (!refreshEveryMs) return;
    const timer = setInterval(reload, refreshEveryMs);
    return () => clearInterval(timer);
  }, [key, refreshEveryMs, reload]);

  useLiveEvents(
    (e) => e === RESYNC || isRelevant(e),
    (e) => decide(e === RESYNC ? onReload(follow.current) : onEvent(follow.current, e.revision)),
  );
  return { ...state, reload };
}

/** GET `path`, kept current by the live events `isRelevant` accepts. */
export function useLiveResource<T>(path: string, isRelevant: (e: LiveEvent) => boolean, refreshEveryMs?: number): LiveResource<T> {
  return useLiveQuery<T>(path, () => api.get<T>(path), isRelevant, refreshEveryMs);
}
