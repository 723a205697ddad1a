/**
 * The console's one connection to the API: `@waiaas/client` over the page's own origin. The
 * owner key is used exactly once, to sign in; from then on the browser's HttpOnly session
 * cookie authenticates (the page never sees it) and the CSRF token, kept in memory only,
 * goes with every request as `X-CSRF-Token`. Nothing is written to localStorage or
 * sessionStorage: a reload asks the API for the session again.
 */
import { isWaiaasApiError, type ConsoleSession, WaiaasClient } from '@waiaas/client';

const origin = (): string => window.location.origin;

/** A client that authenticates with the session cookie and sends the session's CSRF token. */
export function sessionClient(session: ConsoleSession): WaiaasClient {
  return new WaiaasClient({ baseUrl: origin(), headers: { 'x-csrf-token': session.csrfToken } });
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
