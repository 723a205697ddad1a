import { Agent, fetch as undiciFetch } from 'undici';
import {
  assertWebhookUrl,
  createGuardedLookup,
  type WebhookTargetOptions,
} from './webhook-target.js';

/**
 * The subset of `fetch` the webhook dispatcher uses (a URL string and a plain init).
 *
 * @example
 * ```ts
 * const post: WebhookFetch = createWebhookFetch({ allowPrivate: false });
 * ```
 */
export type WebhookFetch = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: 'manual';
  },
) => Promise<{ status: number; body: { cancel(): Promise<void> } | null }>;

/**
 * A `fetch` for webhook deliveries that can only reach public addresses (unless
 * `allowPrivate`): the URL is checked again ({@link assertWebhookUrl}: a row stored before a
 * rule existed is refused too) and the host name is resolved and checked by the socket's own
 * lookup ({@link createGuardedLookup}), so the connection goes to the address that passed.
 * undici's own `fetch` and `Agent` are used together (one version), never mixed with Node's
 * bundled copy.
 *
 * @throws {WebhookTargetError} (rejects) when the URL or the resolved address is refused
 * @example
 * ```ts
 * const post = createWebhookFetch({ allowPrivate: false });
 * const response = await post(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000), redirect: 'manual' });
 * ```
 */
export function createWebhookFetch(options: WebhookTargetOptions): WebhookFetch {
  const dispatcher = options.allowPrivate
    ? new Agent()
    : new Agent({ connect: { lookup: createGuardedLookup() } });
  return async (url, init) => {
    assertWebhookUrl(url, options);
    return undiciFetch(url, { ...init, dispatcher });
  };
}
