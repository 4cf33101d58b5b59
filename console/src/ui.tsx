/** Pieces every page uses: live polling, hash routes, links, the error line. */
import { useEffect, useState } from 'react';

/** Polls a loader: the live view refreshes every two seconds. */
export function useLive<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (data) => !stopped && setState({ data }),
        (err: unknown) => !stopped && setState((s) => ({ ...s, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })),
      );
    void run();
    const timer = setInterval(run, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

export function useHash(): string[] {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
}

export const link = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

export function Failure({ error }: { error?: string }) {
  return error ? <p className="error">{error}</p> : null;
}
