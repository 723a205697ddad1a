/**
 * The idempotency protocol around a transfer, in one place. The work runs with a receipt for
 * its key and writes the key's record, with its response, in its own database transaction (the
 * reservation does: transfer and answer commit together or not at all). Every other outcome is
 * decided here from the record that holds the key: a retry with the same request gets the
 * stored response, a retry with another request is refused, and a claim left IN_PROGRESS by
 * an earlier version's process is waited on, completed from its transaction, or, once stale,
 * taken over.
 *
 * Why no IN_PROGRESS claim before the work: duplicates of one transfer are serialised by the
 * wallet's row lock and the record's unique index, so the second waits for the first and
 * replays its answer (no 409), the claim's own commit is saved on every transfer, and a process
 * that dies mid-request leaves nothing for a retry to wait out.
 */
import {
  type HeldIdempotencyKey,
  holdsKey,
  type IdempotencyClock,
  IdempotencyKeyHeld,
  type IdempotencyRepository,
  type PrismaClient,
  type TransactionModel as Transaction,
} from '@waiaas/database';
import { TransferEngineError } from './errors.js';

/** Idempotency records are kept this long (at least 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An IN_PROGRESS record (written only by earlier versions, which claimed the key first) older
 * than this, with no transaction behind it, belongs to a process that died mid-request (a
 * reservation holds its lock at most 20 s), so it may be taken over.
 */
export const STALE_IN_PROGRESS_MS = 2 * 60 * 1000;

/** A response as stored for replays (the caller decides its shape; the engine only keeps it). */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** Who uses which key for which request. */
export interface IdempotencyScope {
  agentId: string;
  key: string;
  /** Hash of the request (method, path, canonical body): same key + other request ⇒ refused. */
  fingerprint: string;
}

/** The outcome: the work's own response, or a stored one replayed. */
export type IdempotentResult<T> =
  | { replayed: false; response: StoredResponse; result: T }
  | { replayed: true; response: StoredResponse };

/** What the work writes its record with: the scope, and when the record expires. */
export type IdempotencyReceipt = IdempotencyScope & IdempotencyClock & { expiresAt: Date };

/**
 * Work run once per key. It writes the key's record in the transaction that writes its result,
 * or throws {@link IdempotencyKeyHeld} (having written nothing) when the key turns out to be held.
 */
export type IdempotentWork<T> = (
  receipt: IdempotencyReceipt,
) => Promise<{ response: StoredResponse; result: T }>;

/** How often a key that keeps changing hands (expired, taken over, released) is tried again. */
const ATTEMPTS = 3;

/**
 * Runs `work` at most once per (agent, key) with effect. A failure of `work` stores nothing, so
 * a retry runs again — unless the key was used before: then the retry is answered from that
 * use, whatever failing now would have said (a transfer that spent the wallet's funds is
 * replayed, not refused for want of funds).
 *
 * `rebuild` turns a committed transaction into the response `work` would have stored, for an
 * earlier version's claim whose process died between its commit and storing the response.
 */
export async function withIdempotency<T>(
  deps: { idempotency: IdempotencyRepository; prisma: PrismaClient },
  scope: IdempotencyScope,
  rebuild: (transaction: Transaction) => StoredResponse,
  work: IdempotentWork<T>,
): Promise<IdempotentResult<T>> {
  for (let attempt = 1; ; attempt++) {
    const now = new Date();
    const receipt: IdempotencyReceipt = {
      ...scope,
      now,
      staleBefore: new Date(now.getTime() - STALE_IN_PROGRESS_MS),
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    };
    let held: HeldIdempotencyKey | null;
    try {
      const { response, result } = await work(receipt);
      return { replayed: false, response, result };
    } catch (e) {
      if (e instanceof IdempotencyKeyHeld) {
        held = e.record ?? (await deps.idempotency.find(scope.agentId, scope.key));
      } else {
        // Nothing was written; the failure stands unless the key was used before.
        held = await deps.idempotency.find(scope.agentId, scope.key).catch(() => null);
        if (held === null || !holdsKey(held, receipt)) throw e;
      }
    }
    if (held !== null && holdsKey(held, receipt))
      return answerFrom(deps, scope, rebuild, held, receipt);
    // Expired, or a stale claim, or gone since: the next attempt replaces it.
    if (attempt >= ATTEMPTS)
      throw new Error(`idempotency key ${scope.key} kept changing hands; giving up`);
  }
}

/** The answer a request gets from the record that holds its key. */
async function answerFrom<T>(
  deps: { idempotency: IdempotencyRepository; prisma: PrismaClient },
  scope: IdempotencyScope,
  rebuild: (transaction: Transaction) => StoredResponse,
  held: HeldIdempotencyKey,
  clock: IdempotencyClock,
): Promise<IdempotentResult<T>> {
  if (held.fingerprint !== scope.fingerprint) {
    throw new TransferEngineError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with a different request body',
    );
  }
  if (held.state === 'COMPLETED') {
    return { replayed: true, response: { status: held.status ?? 500, body: held.body } };
  }
  // An earlier version's claim: if its transaction committed (its process stopped before
  // storing the response), the response is rebuilt from it; otherwise it is still running.
  const existing = await deps.prisma.transaction.findUnique({
    where: { agentId_idempotencyKey: { agentId: scope.agentId, idempotencyKey: scope.key } },
  });
  if (existing !== null) {
    const response = rebuild(existing);
    await deps.idempotency.complete(held.recordId, {
      ...response,
      transactionId: existing.id,
      now: clock.now,
    });
    return { replayed: true, response };
  }
  throw new TransferEngineError(
    'IDEMPOTENCY_REQUEST_IN_PROGRESS',
    'A request with this Idempotency-Key is still being processed; retry shortly',
  );
}
