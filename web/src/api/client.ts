/**
 * The dashboard's API client: same-origin calls to the orchestrator with the signed-in token. Answers are
 * `{ doc, revision }` (revision: the x-paz-revision header, the store revision the answer was read at, when
 * the server sends it); Paz's error body becomes an ApiError.
 */

const TOKEN_KEY = 'paz.token';

/**
 * Signing out clears the token; answers still on their way may then ask for more (a list's per-service
 * reads). Those calls are dropped here, without a request (that would be a 401 in the console), until
 * a token is set again.
 */
let signedOut = false;

export const tokenStore = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (token: string): void => {
    signedOut = false;
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear: (): void => {
    signedOut = true;
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/**
 * Told when the signed-in token is refused (401) by a call made with it: revoked meanwhile, or the store restored
 * without it. The session then goes back to the sign-in page, saying so, rather than every panel showing a 401.
 */
const refusedListeners = new Set<() => void>();

export function onTokenRefused(listener: () => void): () => void {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

/** The signed-in token was refused (a 401 to a call that sent it): every listener hears of it. */
export function tokenRefused(): void {
  if (tokenStore.get() === undefined) return;
  for (const listener of [...refusedListeners]) listener();
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  doc: T;
  revision?: number;
}

function authHeaders(token = tokenStore.get()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * A fetch with the session's token, for answers read as streams (the live events, a followed log): a 401 is the
 * session's token refused, as for every other call.
 */
export async function sessionFetch(path: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: { ...authHeaders(), ...init.headers } });
  if (res.status === 401) tokenRefused();
  return res;
}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<Answer<T>> {
  if (signedOut && token === undefined) throw new ApiError(401, 'SIGNED_OUT', 'signed out');
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { ...authHeaders(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `the orchestrator did not answer (${(e as Error).message})`);
  }
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    // a token given explicitly is being tried (sign-in), not the session's
    if (res.status === 401 && token === undefined) tokenRefused();
    const err = parsed && typeof parsed === 'object' ? parsed : {};
    // the field a validation error is about: cross-field checks name it in details.field
    throw new ApiError(res.status, String(err.code ?? res.status), String(err.message ?? (text || res.statusText)), err.field ?? err.details?.field);
  }
  const rev = Number(res.headers.get('x-paz-revision'));
  // most routes wrap their answer as {doc}; the cluster routes answer the document itself
  const doc = parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'doc' in parsed ? parsed.doc : parsed;
  return { doc: doc as T, revision: Number.isSafeInteger(rev) && rev > 0 ? rev : undefined };
}

export const api = {
  get: <T>(path: string, token?: string) => call<T>('GET', path, undefined, token),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  put: <T>(path: string, body?: unknown) => call<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => call<T>('PATCH', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};
