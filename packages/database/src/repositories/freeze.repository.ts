/**
 * The kill switch: freezing and unfreezing a wallet, an agent, everything an owner owns, or the
 * whole service, and cancelling what a freeze stops — in one database transaction with the
 * audit events and their webhook deliveries (the outbox).
 *
 * How a freeze serialises with transfers in flight (docs/decisions/freeze-serialises-on-the-wallet-lock.md):
 *
 * 1. It sets `frozen_at` on the row it applies to (wallet, agent, owner, or `service_state`).
 * 2. It writes a new version of every wallet row in its scope (ids in order, so two freezes
 *    never deadlock). That waits for every reservation and approval holding one of those
 *    wallet locks; a reservation that asks for the lock meanwhile waits for this transaction,
 *    and on commit PostgreSQL re-evaluates its locking statement on the new row version, where
 *    the volatile `freeze_scope()` reads the committed freeze (see the migration).
 * 3. Only then it cancels the scope's AWAITING_APPROVAL, DELAYED and PENDING transfers (a fresh
 *    statement: it sees every reservation committed before step 2 got its locks). A PENDING row
 *    the worker has claimed is locked by the worker while it sends; the cancellation waits for
 *    that claim to commit and then finds the row SUBMITTED (already broadcast, followed to its
 *    end) instead of cancelling it. So when a freeze returns, nothing in its scope is PENDING,
 *    and no reservation can add one.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';
import { RepositoryError } from '../repository-error.js';
import type { EventActor } from './event.repository.js';

/** Who a freeze applies to, from the widest. */
export type FreezeScope = 'SERVICE' | 'OWNER' | 'WALLET' | 'AGENT';

/**
 * What to freeze. Owner-scoped targets carry the owner, and are refused as not found when the
 * wallet or agent is another owner's.
 *
 * @example
 * ```ts
 * const target: FreezeTarget = { scope: 'WALLET', ownerId, walletId };
 * ```
 */
export type FreezeTarget =
  | { scope: 'SERVICE' }
  | { scope: 'OWNER'; ownerId: string }
  | { scope: 'WALLET'; ownerId: string; walletId: string }
  | { scope: 'AGENT'; ownerId: string; agentId: string };

/** A transfer a freeze cancelled. */
export interface CancelledTransfer {
  id: string;
  walletId: string;
  ownerId: string;
  /** AWAITING_APPROVAL, DELAYED or PENDING. */
  previousStatus: string;
}

/**
 * The state after a freeze or unfreeze.
 *
 * @example
 * ```ts
 * const r: FreezeResult = await freezes.freeze({ scope: 'OWNER', ownerId }, actor, new Date());
 * if (r.changed) console.log(`frozen at ${r.frozenAt?.toISOString()}`, r.cancelled.length);
 * ```
 */
export interface FreezeResult {
  scope: FreezeScope;
  frozen: boolean;
  /** When the current freeze began (kept by a repeated freeze); null when not frozen. */
  frozenAt: Date | null;
  /** False when it was already in the asked state (no event is written then). */
  changed: boolean;
  /** The transfers this call cancelled (a freeze only). */
  cancelled: CancelledTransfer[];
  /** Webhook deliveries created (for the worker's dispatcher). */
  deliveries: number;
}

/** The statuses a freeze cancels: nothing of them was ever broadcast. */
export const CANCELLED_BY_FREEZE = ['AWAITING_APPROVAL', 'DELAYED', 'PENDING'] as const;

const TARGET_TABLE = {
  SERVICE: 'service_state',
  OWNER: 'owners',
  WALLET: 'wallets',
  AGENT: 'agents',
} as const;

/** `WHERE` of the target row (`$1` its id, `$2` the owner), per scope. */
const TARGET_WHERE = {
  SERVICE: 'id AND $1::text IS NULL AND $2::uuid IS NULL',
  OWNER: 'id = $1::uuid AND id = $2::uuid',
  WALLET: 'id = $1::uuid AND owner_id = $2::uuid',
  AGENT: 'id = $1::uuid AND owner_id = $2::uuid',
} as const;

/** The wallets whose reservations a freeze must serialise with (`$1` the target id). */
const WALLETS_IN_SCOPE = {
  SERVICE: 'SELECT id FROM wallets WHERE $1::text IS NULL',
  OWNER: 'SELECT id FROM wallets WHERE owner_id = $1::uuid',
  WALLET: 'SELECT id FROM wallets WHERE id = $1::uuid',
  AGENT: 'SELECT wallet_id FROM wallet_agents WHERE agent_id = $1::uuid',
} as const;

/** The transactions a freeze stops (`$1` the target id; `t` is the transaction). */
const TRANSACTIONS_IN_SCOPE = {
  SERVICE: '$1::text IS NULL',
  OWNER: 't.wallet_id IN (SELECT id FROM wallets WHERE owner_id = $1::uuid)',
  WALLET: 't.wallet_id = $1::uuid',
  AGENT: 't.agent_id = $1::uuid',
} as const;

function targetId(target: FreezeTarget): string | null {
  switch (target.scope) {
    case 'SERVICE':
      return null;
    case 'OWNER':
      return target.ownerId;
    case 'WALLET':
      return target.walletId;
    case 'AGENT':
      return target.agentId;
  }
}

function notFound(target: FreezeTarget): RepositoryError {
  switch (target.scope) {
    case 'WALLET':
      return new RepositoryError('WALLET_NOT_FOUND', { walletId: target.walletId });
    case 'AGENT':
      return new RepositoryError('AGENT_NOT_FOUND', { agentId: target.agentId });
    default:
      return new RepositoryError('OWNER_NOT_FOUND', {
        ownerId: target.scope === 'OWNER' ? target.ownerId : '',
      });
  }
}

/**
 * @example
 * ```ts
 * const freezes = new FreezeRepository(prisma);
 * const r = await freezes.freeze({ scope: 'WALLET', ownerId, walletId }, { type: 'OWNER', id: ownerId }, new Date());
 * // r.cancelled: the waiting and unsent transfers of that wallet, now CANCELLED
 * await freezes.unfreeze({ scope: 'WALLET', ownerId, walletId }, { type: 'OWNER', id: ownerId }, new Date());
 * ```
 */
export class FreezeRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Freezes `target` (keeping the first `frozenAt` if it already was) and cancels its scope's
   * AWAITING_APPROVAL, DELAYED and PENDING transfers, each with a `transaction.cancelled`
   * event; a change writes `wallet.frozen` for every owner concerned. Returns once no
   * reservation can add a transfer in scope (see the file comment). Throws
   * `WALLET_NOT_FOUND` / `AGENT_NOT_FOUND` / `OWNER_NOT_FOUND` for a target that is not the
   * owner's.
   */
  async freeze(target: FreezeTarget, actor: EventActor, now: Date): Promise<FreezeResult> {
    return this.prisma.$transaction(
      async (tx) => {
        const state = await setFrozen(tx, target, now);
        await touchWallets(tx, target);
        const cancelled = await cancelInScope(tx, target, now);
        const deliveries = state.changed
          ? await recordFreezeEvents(
              tx,
              'wallet.frozen',
              target,
              actor,
              now,
              state.frozenAt,
              cancelled,
            )
          : 0;
        return {
          scope: target.scope,
          frozen: true,
          frozenAt: state.frozenAt,
          changed: state.changed,
          cancelled,
          deliveries,
        };
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }

  /**
   * Lifts `target`'s own freeze (a wider freeze still applies). Revives nothing: what the
   * freeze cancelled stays CANCELLED. A change writes `wallet.unfrozen` for every owner
   * concerned. Same errors as {@link freeze}.
   */
  async unfreeze(target: FreezeTarget, actor: EventActor, now: Date): Promise<FreezeResult> {
    return this.prisma.$transaction(async (tx) => {
      const state = await setFrozen(tx, target, null);
      const deliveries = state.changed
        ? await recordFreezeEvents(tx, 'wallet.unfrozen', target, actor, now, null, [])
        : 0;
      return {
        scope: target.scope,
        frozen: false,
        frozenAt: null,
        changed: state.changed,
        cancelled: [],
        deliveries,
      };
    });
  }

  /** When the operator froze the whole service (null: not frozen). */
  async serviceFrozenAt(): Promise<Date | null> {
    const rows = await this.prisma.$queryRaw<{ frozen_at: Date | null }[]>`
      SELECT frozen_at FROM service_state WHERE id`;
    return rows[0]?.frozen_at ?? null;
  }
}

/**
 * Sets (or clears, `at` null) the target row's `frozen_at`, keeping an earlier freeze's
 * instant; locks the row first so concurrent freezes of one target take turns.
 */
async function setFrozen(
  tx: TransactionClient,
  target: FreezeTarget,
  at: Date | null,
): Promise<{ frozenAt: Date | null; changed: boolean }> {
  const table = TARGET_TABLE[target.scope];
  const ownerId = target.scope === 'SERVICE' ? null : target.ownerId;
  const rows = await tx.$queryRawUnsafe<{ frozen_at: Date | null; changed: boolean }[]>(
    `WITH prev AS (
       SELECT id, frozen_at FROM ${table} WHERE ${TARGET_WHERE[target.scope]} FOR UPDATE
     )
     UPDATE ${table} x
     SET frozen_at = CASE WHEN $3::timestamptz IS NULL THEN NULL
                          ELSE COALESCE(prev.frozen_at, $3::timestamptz) END,
         updated_at = CASE WHEN (prev.frozen_at IS NULL) <> ($3::timestamptz IS NULL)
                           THEN clock_timestamp() ELSE x.updated_at END
     FROM prev WHERE x.id = prev.id
     RETURNING x.frozen_at, (prev.frozen_at IS NULL) <> ($3::timestamptz IS NULL) AS changed`,
    targetId(target),
    ownerId,
    at,
  );
  const row = rows[0];
  if (!row) throw notFound(target);
  return { frozenAt: row.frozen_at, changed: row.changed };
}

/**
 * Writes a new version of every wallet row in scope, in id order: waits for the reservations
 * holding those locks, and makes the ones that wait for it re-read the freeze (file comment).
 */
async function touchWallets(tx: TransactionClient, target: FreezeTarget): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE wallets w SET frozen_at = w.frozen_at
     FROM (SELECT id FROM wallets WHERE id IN (${WALLETS_IN_SCOPE[target.scope]})
           ORDER BY id FOR UPDATE) l
     WHERE w.id = l.id`,
    targetId(target),
  );
}

/**
 * AWAITING_APPROVAL, DELAYED and PENDING → CANCELLED in scope, each with a
 * `transaction.cancelled` event and its webhook deliveries, in one statement. Rows are locked
 * in id order first; a PENDING row the worker holds is waited for and, once the worker
 * committed it SUBMITTED, left alone (it was broadcast).
 */
async function cancelInScope(
  tx: TransactionClient,
  target: FreezeTarget,
  now: Date,
): Promise<CancelledTransfer[]> {
  const rows = await tx.$queryRawUnsafe<
    { id: string; wallet_id: string; owner_id: string; previous_status: string }[]
  >(
    `WITH due AS (
       SELECT t.id, t.status::text AS previous_status FROM transactions t
       WHERE ${TRANSACTIONS_IN_SCOPE[target.scope]}
         AND t.status IN ('AWAITING_APPROVAL', 'DELAYED', 'PENDING')
       ORDER BY t.id
       FOR UPDATE
     ),
     moved AS (
       UPDATE transactions t
       SET status = 'CANCELLED', decided_at = $2::timestamptz, updated_at = clock_timestamp()
       FROM due WHERE t.id = due.id
       RETURNING t.*, due.previous_status
     ),
     ev AS (
       INSERT INTO events (type, actor_type, owner_id, wallet_id, transaction_id, payload, created_at)
       SELECT 'transaction.cancelled', 'SYSTEM'::"ActorType", w.owner_id, m.wallet_id, m.id,
              jsonb_build_object('status', 'CANCELLED', 'previousStatus', m.previous_status,
                                 'reason', 'FROZEN', 'freezeScope', $3::text,
                                 'amount', m.amount::text, 'decimals', m.decimals, 'asset', m.asset,
                                 'destination', m.destination, 'signature', m.signature),
              clock_timestamp()
       FROM moved m JOIN wallets w ON w.id = m.wallet_id
       RETURNING id, owner_id
     ),
     dl AS (
       INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
       SELECT gen_random_uuid(), e.id, ev.id, 'PENDING'::"DeliveryStatus", 0, clock_timestamp(), clock_timestamp()
       FROM ev JOIN webhook_endpoints e ON e.owner_id = ev.owner_id AND e.enabled
     )
     SELECT m.id::text AS id, m.wallet_id::text AS wallet_id, w.owner_id::text AS owner_id,
            m.previous_status
     FROM moved m JOIN wallets w ON w.id = m.wallet_id
     ORDER BY m.id`,
    targetId(target),
    now,
    target.scope,
  );
  return rows.map((r) => ({
    id: r.id,
    walletId: r.wallet_id,
    ownerId: r.owner_id,
    previousStatus: r.previous_status,
  }));
}

/**
 * The freeze's audit events with their webhook deliveries: one `wallet.frozen` /
 * `wallet.unfrozen` per owner concerned (every active owner for the service), listing that
 * owner's cancelled transfers. Returns the deliveries created.
 */
async function recordFreezeEvents(
  tx: TransactionClient,
  type: 'wallet.frozen' | 'wallet.unfrozen',
  target: FreezeTarget,
  actor: EventActor,
  now: Date,
  frozenAt: Date | null,
  cancelled: CancelledTransfer[],
): Promise<number> {
  const owners =
    target.scope === 'SERVICE'
      ? (
          await tx.$queryRaw<{ id: string }[]>`
            SELECT id::text AS id FROM owners WHERE status = 'ACTIVE' ORDER BY id`
        ).map((o) => o.id)
      : [target.ownerId];
  const payloads = owners.map((ownerId) =>
    JSON.stringify({
      scope: target.scope,
      frozen: type === 'wallet.frozen',
      frozenAt: frozenAt?.toISOString() ?? null,
      agentId: target.scope === 'AGENT' ? target.agentId : null,
      cancelledTransactionIds: cancelled.filter((c) => c.ownerId === ownerId).map((c) => c.id),
    }),
  );
  const walletId = target.scope === 'WALLET' ? target.walletId : null;
  const rows = await tx.$queryRawUnsafe<{ deliveries: number }[]>(
    `WITH ev AS (
       INSERT INTO events (type, actor_type, actor_id, owner_id, wallet_id, payload, created_at)
       SELECT $1, $2::"ActorType", $3::uuid, o.owner_id, $4::uuid, o.payload, $5::timestamptz
       FROM unnest($6::uuid[], $7::jsonb[]) AS o(owner_id, payload)
       RETURNING id, owner_id
     ),
     dl AS (
       INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
       SELECT gen_random_uuid(), e.id, ev.id, 'PENDING'::"DeliveryStatus", 0, clock_timestamp(), clock_timestamp()
       FROM ev JOIN webhook_endpoints e ON e.owner_id = ev.owner_id AND e.enabled
       RETURNING id
     )
     SELECT (SELECT count(*) FROM dl)::int AS deliveries`,
    type,
    actor.type,
    actor.id,
    walletId,
    now,
    owners,
    payloads,
  );
  if (target.scope === 'SERVICE') {
    // The operator's own record (no owner): the service-wide switch itself.
    await tx.$executeRaw`
      INSERT INTO events (type, actor_type, actor_id, payload, created_at)
      VALUES (${type === 'wallet.frozen' ? 'service.frozen' : 'service.unfrozen'},
              ${actor.type}::"ActorType", ${actor.id}::uuid,
              ${JSON.stringify({ frozenAt: frozenAt?.toISOString() ?? null, cancelled: cancelled.length })}::jsonb,
              ${now})`;
  }
  return rows[0]?.deliveries ?? 0;
}
