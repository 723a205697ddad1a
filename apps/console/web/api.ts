/**
 * The console's one connection to the API: `@waiaas/client` over the page's own origin. The
 * owner key is used exactly once, to sign in; from then on the browser's HttpOnly session
 * cookie authenticates (the page never sees it) and the CSRF token, kept in memory only,
 * goes with every request as `X-CSRF-Token`. Nothing is written to localStorage or
 * sessionStorage: a reload asks the API for the session again.
 */
import { isWaiaasApiError, type ConsoleSession, WaiaasClient } from '@waiaas/client';

const origin = (): string => window.location.origin;

/** A signed-in session's client, and how the session ends. */
export interface SessionConnection {
  /** Authenticates with the session cookie and sends the session's CSRF token. */
  client: WaiaasClient;
  /**
   * Ends the session once every request already sent has been answered; from the call on,
   * the client sends nothing more (its calls fail at once, without a request). Why: a poll
   * that reached the API after the session was deleted was answered 401, which the browser
   * logs as an error and the page showed for an instant before it unmounted.
   */
  signOut(): Promise<void>;
}

export function sessionClient(session: ConsoleSession): SessionConnection {
  const headers = { 'x-csrf-token': session.csrfToken };
  let inFlight = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  const tracked: typeof fetch = async (input, init) => {
    if (closing) throw new DOMException('The console is signing out', 'AbortError');
    inFlight++;
    try {
      return await fetch(input, init);
    } finally {
      inFlight--;
      if (inFlight === 0) idle?.();
    }
  };
  return {
    client: new WaiaasClient({ baseUrl: origin(), headers, fetch: tracked }),
    async signOut() {
      closing = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await new WaiaasClient({ baseUrl: origin(), headers }).deleteConsoleSession();
    },
  };
}

/** Exchanges the owner key for a session cookie; the key is not kept anywhere afterwards. */
export async function signIn(ownerKey: string): Promise<ConsoleSession> {
  const { session } = await new WaiaasClient({
    baseUrl: origin(),
    apiKey: ownerKey.trim(),
  }).createConsoleSession();
  return session;
}

/** The session of the browser's cookie, or null when there is none (or it has ended). */
export async function resumeSession(): Promise<ConsoleSession | null> {
  return (await new WaiaasClient({ baseUrl: origin() }).getConsoleSession()).session;
}

/** True when an error means the session is gone (expired, signed out elsewhere, key rotated). */
export function isSessionEnded(e: unknown): boolean {
  return isWaiaasApiError(e) && e.status === 401;
}

/** A one-line explanation of a failed call, for the page. */
export function describeError(e: unknown): string {
  if (isWaiaasApiError(e)) return e.problem?.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}
