/**
 * Reading something that has no live event (the agents' stats, the routers' counters) at a fixed
 * interval while the page is open: the first read at once, then every `everyMs`, never two at a time,
 * stopped when the page goes away.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

export function usePolling<T>(key: string, read: () => Promise<T>, everyMs: number): { data?: T; error?: ApiError } {
  const [state, setState] = useState<{ data?: T; error?: ApiError }>({});
  const reader = useRef(read);
  reader.current = read;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const tick = async () => {
      try {
        const data = await reader.current();
        if (!stopped) setState({ data });
      } catch (e) {
        const error = e instanceof ApiError ? e : new ApiError(0, 'CLIENT', (e as Error).message);
        if (!stopped) setState((s) => ({ data: s.data, error }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, everyMs]);
  return state;
}
