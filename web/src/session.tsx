/**
 * Who is signed in: a Paz API token kept in sessionStorage (gone when the tab closes), checked with
 * GET /auth/whoami. Pages ask useSession() what the role allows (canDeploy, canAdmin) and show write
 * controls only then; the server refuses them anyway (403).
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onTokenRefused, tokenStore } from './api/client';

export interface Session {
  name: string;
  role: string;
  /** deployer or admin: may create, change and deploy services */
  canDeploy: boolean;
  /** admin: tokens, registry credentials, webhook secret */
  canAdmin: boolean;
  /** auth is off on this server (--no-auth): there is nothing to sign out of */
  authOff: boolean;
  signOut(): void;
}

interface Whoami {
  name: string;
  role: string;
  auth?: 'off';
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside <SessionGate>');
  return s;
}

/** Whether the server runs with --no-auth (its public /health says so): then no token is needed. */
async function authIsOff(): Promise<boolean> {
  try {
    const health = (await (await fetch('/health')).json()) as { auth?: string };
    return health.auth === 'off';
  } catch {
    return false;
  }
}

type State = { kind: 'checking' } | { kind: 'signed-out'; error?: string } | { kind: 'signed-in'; who: Whoami };

/** Shows the sign-in page until a token is accepted, then its children with the session. */
export function SessionGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ kind: 'checking' });

  const check = useCallback(async (token: string | undefined) => {
    if (!token && !(await authIsOff())) {
      setState({ kind: 'signed-out' });
      return;
    }
    try {
      const { doc } = await api.get<Whoami>('/auth/whoami', token);
      if (token) tokenStore.set(token);
      setState({ kind: 'signed-in', who: doc });
    } catch (e) {
      if (token === tokenStore.get()) tokenStore.clear();
      const err = e as ApiError;
      const error = err.status === 401 ? 'This token is not valid: it is mistyped, revoked, or not a Paz API token.' : err.message;
      setState({ kind: 'signed-out', error });
    }
  }, []);

  useEffect(() => {
    void check(tokenStore.get());
  }, [check]);

  // the token was revoked while signed in: back to the sign-in page, saying why
  useEffect(
    () =>
      onTokenRefused(() => {
        tokenStore.clear();
        setState({ kind: 'signed-out', error: 'Your token is no longer accepted: it was revoked, or Paz no longer knows it. Sign in with another.' });
      }),
    [],
  );

  const signOut = useCallback(() => {
    tokenStore.clear();
    setState({ kind: 'signed-out' });
  }, []);

  if (state.kind === 'checking') return <p className="loading" role="status">Checking your session…</p>;
  if (state.kind === 'signed-out') return <SignIn error={state.error} onSubmit={(t) => void check(t)} />;
  const { who } = state;
  const session: Session = {
    name: who.name,
    role: who.role,
    canDeploy: who.role === 'admin' || who.role === 'deployer',
    canAdmin: who.role === 'admin',
    authOff: who.auth === 'off',
    signOut,
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

function SignIn({ error, onSubmit }: { error?: string; onSubmit(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main className="sign-in">
      <h1>Paz</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} aria-describedby="token-help" aria-invalid={error ? true : undefined} />
        <p id="token-help" className="help">
          The admin token made at first start is in <code>~/.paz/admin-token</code> on the server; an admin makes others with <code>paz token create NAME --role read-only</code>.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
