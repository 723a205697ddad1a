/**
 * The idempotency protocol around a transfer, in one place: claim the key (a unique insert),
 * run the work, store its response; a retry with the same key and request gets the stored
 * response, a retry with another request is refused, and a key left in progress by a process
 * that died is recovered from its transaction or, once stale, taken over.
 */
import {
  type IdempotencyBegin,
  type IdempotencyRepository,
  type PrismaClient,
  type TransactionModel as Transaction,
} from '@waiaas/database';
import { TransferEngineError } from './errors.js';

/** Idempotency records are kept this long (at least 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An IN_PROGRESS record older than this, with no transaction behind it, belongs to a process
 * that died mid-request (a reservation holds its lock at most 20 s), so it may be taken over.
 */
export const STALE_IN_PROGRESS_MS = 2 * 60 * 1000;

/** A response as stored for replays (the caller decides its shape; the engine only keeps it). */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** Who claims which key for which request. */
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

/**
 * Work run once per key, given the claimed record: its response and the transaction it created
 * (if any). `stored: true` when the work stored the response on the record itself, in its own
 * database transaction (the engine's reservation does: transfer and answer commit together).
 */
export type IdempotentWork<T> = (claim: { recordId: string }) => Promise<{
  response: StoredResponse;
  transactionId: string | null;
  result: T;
  stored?: boolean;
}>;

/**
 * Runs `work` at most once per (agent, key). A failure of `work` releases the key (nothing was
 * decided or stored, so a retry may run again).
 *
 * `rebuild` turns a committed transaction into the response `work` would have stored, for a
 * process that died between its commit and storing the response.
 */
export async function withIdempotency<T>(
  deps: { idempotency: IdempotencyRepository; prisma: PrismaClient },
  scope: IdempotencyScope,
  rebuild: (transaction: Transaction) => StoredResponse,
  work: IdempotentWork<T>,
): Promise<IdempotentResult<T>> {
  const begin = () =>
    deps.idempotency.begin({
      agentId: scope.agentId,
      key: scope.key,
      fingerprint: scope.fingerprint,
      now: new Date(),
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
  let begun = await begin();
  if (begun.kind === 'in_progress') begun = await recover(deps, scope, rebuild, begun, begin);
  if (begun.kind === 'mismatch') {
    throw new TransferEngineError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with a different request body',
    );
  }
  if (begun.kind === 'in_progress') {
    throw new TransferEngineError(
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed; retry shortly',
    );
  }
  if (begun.kind === 'replay') {
    return { replayed: true, response: { status: begun.status, body: begun.body } };
  }

  let outcome;
  try {
    outcome = await work({ recordId: begun.recordId });
  } catch (e) {
    await deps.idempotency.release(begun.recordId);
    throw e;
  }
  if (outcome.stored === true) {
    return { replayed: false, response: outcome.response, result: outcome.result };
  }
  await deps.idempotency.complete(begun.recordId, {
    status: outcome.response.status,
    body: outcome.response.body,
    transactionId: outcome.transactionId,
    now: new Date(),
  });
  return { replayed: false, response: outcome.response, result: outcome.result };
}

/**
 * A record left IN_PROGRESS: if its transaction exists (the process stopped between the
 * commit and storing the response) the response is rebuilt from it; if it is old and nothing
 * was stored, its process died before deciding, and this request takes the key over.
 */
async function recover(
  deps: { idempotency: IdempotencyRepository; prisma: PrismaClient },
  scope: IdempotencyScope,
  rebuild: (transaction: Transaction) => StoredResponse,
  begun: Extract<IdempotencyBegin, { kind: 'in_progress' }>,
  begin: () => Promise<IdempotencyBegin>,
): Promise<IdempotencyBegin> {
  const existing = await deps.prisma.transaction.findUnique({
    where: { agentId_idempotencyKey: { agentId: scope.agentId, idempotencyKey: scope.key } },
  });
  if (existing !== null) {
    const response = rebuild(existing);
    await deps.idempotency.complete(begun.recordId, {
      ...response,
      transactionId: existing.id,
      now: new Date(),
    });
    return { kind: 'replay', recordId: begun.recordId, ...response, transactionId: existing.id };
  }
  if (Date.now() - begun.startedAt.getTime() < STALE_IN_PROGRESS_MS) return begun;
  await deps.idempotency.release(begun.recordId);
  return begin();
}
