/**
 * Approvals that wait for the owner, and expire: the `transaction.awaiting_approval`
 * notification written when a transfer starts waiting, and the sweep that moves waiting
 * transfers past their `expires_at` to `EXPIRED` (which, like FAILED and REJECTED, stops
 * counting against the limits at once: see `spend-accounting.ts` and the spend_buckets
 * trigger).
 *
 * Both write the event and its webhook deliveries (the outbox) in the same statement as their
 * change, as the worker's transitions do, so a notification exists if and only if the change
 * was committed.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { Sql } from '../sql.js';

/** What {@link ApprovalExpiryRepository.expireDue} moved. */
export interface ExpiredApprovals {
  /** The transactions that became EXPIRED (rows another sweep or an owner took are absent). */
  expired: { id: string; walletId: string }[];
  /** Webhook deliveries created for their `transaction.expired` events. */
  deliveries: number;
}

interface ExpiredRow {
  id: string;
  wallet_id: string;
  deliveries: number;
}

/**
 * The payload every approval event carries: what the owner needs to decide (amount in base
 * units with its asset and decimals, recipient, network fee, the policy's reasons, the agent)
 * and when the request expires.
 */
const APPROVAL_PAYLOAD = `'amount', m.amount::text, 'decimals', m.decimals, 'asset', m.asset,
  'destination', m.destination, 'memo', m.memo, 'networkFee', m.network_fee::text,
  'agentId', m.agent_id, 'agentName', (SELECT a.name FROM agents a WHERE a.id = m.agent_id),
  'walletAddress', w.address, 'reasons', COALESCE(m.policy_decision -> 'reasons', '[]'::jsonb),
  'createdAt', m.created_at, 'expiresAt', m.expires_at`;

/**
 * The event and one delivery per enabled endpoint of the wallet's owner, for the rows of a
 * `moved` CTE. Fixed SQL text (no parameters): the event type, actor and payload are constants
 * of this file.
 */
function outbox(
  eventType: 'transaction.awaiting_approval' | 'transaction.expired' | 'transaction.delayed',
  actor: string,
  status: 'AWAITING_APPROVAL' | 'EXPIRED' | 'DELAYED',
  extra = '',
): string {
  return `
    ev AS (
      INSERT INTO events (type, actor_type, actor_id, owner_id, wallet_id, transaction_id, payload, created_at)
      SELECT '${eventType}', ${actor}, w.owner_id, m.wallet_id, m.id,
             jsonb_build_object('status', '${status}', ${APPROVAL_PAYLOAD}${extra}), clock_timestamp()
      FROM moved m JOIN wallets w ON w.id = m.wallet_id
      RETURNING id, owner_id
    ),
    dl AS (
      INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
      SELECT gen_random_uuid(), e.id, ev.id, 'PENDING'::"DeliveryStatus", 0, clock_timestamp(), clock_timestamp()
      FROM ev JOIN webhook_endpoints e ON e.owner_id = ev.owner_id AND e.enabled
      RETURNING id
    )`;
}

const AWAITING_APPROVAL_SQL = `
  WITH moved AS (
    SELECT * FROM transactions WHERE id = $1::uuid AND status = 'AWAITING_APPROVAL'
  ),
  ${outbox(
    'transaction.awaiting_approval',
    `CASE WHEN m.agent_id IS NULL THEN 'SYSTEM' ELSE 'AGENT' END::"ActorType", m.agent_id`,
    'AWAITING_APPROVAL',
  )}
  SELECT (SELECT count(*) FROM dl)::int AS deliveries`;

/**
 * Writes a just-stored AWAITING_APPROVAL transfer's `transaction.awaiting_approval` event (the
 * actor is its agent) and its webhook deliveries, in one statement of the caller's database
 * transaction (the reservation's, under the wallet lock). Returns the number of deliveries
 * created.
 *
 * @example
 * ```ts
 * await sqlTransaction(prisma, (sql) => recordAwaitingApproval(sql, { transactionId }));
 * ```
 */
export async function recordAwaitingApproval(
  sql: Sql,
  input: { transactionId: string },
): Promise<number> {
  const rows = await sql.query<{ deliveries: number }>(AWAITING_APPROVAL_SQL, [
    input.transactionId,
  ]);
  return rows[0]?.deliveries ?? 0;
}

/**
 * What a delayed transfer's notification adds: when it becomes due (it is then judged again
 * and signed), and how the owner stops it before then (the API's cancel route).
 */
const DELAYED_PAYLOAD = `, 'dueAt', m.due_at,
  'cancel', jsonb_build_object('method', 'POST', 'path', '/v1/transactions/' || m.id::text || '/cancel')`;

const DELAYED_SQL = `
  WITH moved AS (
    SELECT * FROM transactions WHERE id = $1::uuid AND status = 'DELAYED'
  ),
  ${outbox('transaction.delayed', `$2::"ActorType", $3::uuid`, 'DELAYED', DELAYED_PAYLOAD)}
  SELECT (SELECT count(*) FROM dl)::int AS deliveries`;

/**
 * Writes a just-DELAYED transfer's `transaction.delayed` event (amount, recipient, fee, the
 * policy's reasons, `dueAt` and how to cancel) and its webhook deliveries, in one statement of
 * the caller's database transaction. The actor is the agent when the reservation delayed it,
 * the owner when the delay started at approval. Returns the number of deliveries created.
 *
 * @example
 * ```ts
 * await recordDelayed(sql, { transactionId, actorType: 'AGENT', actorId: agentId });
 * ```
 */
export async function recordDelayed(
  sql: Sql,
  input: { transactionId: string; actorType: 'AGENT' | 'OWNER' | 'SYSTEM'; actorId: string | null },
): Promise<number> {
  const rows = await sql.query<{ deliveries: number }>(DELAYED_SQL, [
    input.transactionId,
    input.actorType,
    input.actorId,
  ]);
  return rows[0]?.deliveries ?? 0;
}

/**
 * @example
 * ```ts
 * const approvals = new ApprovalExpiryRepository(prisma);
 * const { expired } = await approvals.expireDue(new Date(), 500);
 * ```
 */
export class ApprovalExpiryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Moves up to `limit` AWAITING_APPROVAL transfers whose `expires_at` is at or before `now`
   * to EXPIRED (`decided_at` = `now`), each with a `transaction.expired` event and its webhook
   * deliveries, in one statement. Rows are claimed `FOR UPDATE SKIP LOCKED`: sweeps of several
   * workers take disjoint rows, and a row an owner is approving or rejecting right now (locked
   * by that request) is skipped, then refused by the approval itself if it is past its expiry.
   */
  async expireDue(now: Date, limit: number): Promise<ExpiredApprovals> {
    const rows = await this.prisma.$queryRaw<ExpiredRow[]>`
      WITH due AS (
        SELECT id FROM transactions
        WHERE status = 'AWAITING_APPROVAL' AND expires_at <= ${now}
        ORDER BY expires_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ),
      moved AS (
        UPDATE transactions t
        SET status = 'EXPIRED', decided_at = ${now}, updated_at = clock_timestamp()
        FROM due WHERE t.id = due.id AND t.status = 'AWAITING_APPROVAL'
        RETURNING t.*
      ),
      ${Prisma.raw(outbox('transaction.expired', `'SYSTEM'::"ActorType", NULL::uuid`, 'EXPIRED'))}
      SELECT m.id::text AS id, m.wallet_id::text AS wallet_id, (SELECT count(*) FROM dl)::int AS deliveries
      FROM moved m`;
    return {
      expired: rows.map((r) => ({ id: r.id, walletId: r.wallet_id })),
      deliveries: rows[0]?.deliveries ?? 0,
    };
  }
}
