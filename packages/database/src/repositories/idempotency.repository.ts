/**
 * Idempotency-Key records (IETF `Idempotency-Key` draft, Stripe's practice) for the REST API.
 *
 * A transfer's record is written once, COMPLETED with its response, by the statement that
 * writes the transfer (or its denial) and in the same database transaction — see
 * {@link idempotencyRecordCte}. There is no IN_PROGRESS claim first: the wallet's row lock
 * already serialises duplicates of one transfer, and the unique index on (agent_id, key)
 * refuses the rest, so a duplicate waits for the first and replays its answer, and a process
 * that dies mid-request leaves nothing behind that a retry would have to wait out.
 *
 * IN_PROGRESS records are still understood: versions before this one claimed the key first,
 * and during a rolling upgrade such a process may hold one. Records are kept until `expiresAt`
 * (at least 24 h); an expired one is replaced.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import { type Sql, sqlPool } from '../sql.js';

/** A record found under an (agent, key), as a retry is answered from it. */
export interface HeldIdempotencyKey {
  recordId: string;
  /** SHA-256 (hex) of method, path and canonical body of the request that holds the key. */
  fingerprint: string;
  state: 'IN_PROGRESS' | 'COMPLETED';
  createdAt: Date;
  expiresAt: Date;
  /** The stored response (COMPLETED records). */
  status: number | null;
  body: unknown;
  transactionId: string | null;
}

/** What decides whether a record still holds its key, and the rules for a takeover. */
export interface IdempotencyClock {
  now: Date;
  /**
   * An IN_PROGRESS record created at or before this instant belongs to a process that died
   * mid-request (an earlier version's claim), and may be taken over.
   */
  staleBefore: Date;
}

/** Whether `record` still holds its key at `clock` (false: expired, or a stale claim). */
export function holdsKey(record: HeldIdempotencyKey, clock: IdempotencyClock): boolean {
  if (record.expiresAt <= clock.now) return false;
  return record.state === 'COMPLETED' || record.createdAt > clock.staleBefore;
}

/**
 * Thrown by a reservation that found its key held (its work rolled back, nothing written):
 * with the record when the reservation read it, null when its write met a record committed
 * after its reads (read it again with {@link IdempotencyRepository.find}).
 */
export class IdempotencyKeyHeld extends Error {
  constructor(readonly record: HeldIdempotencyKey | null) {
    super('the idempotency key is held by another request');
    this.name = 'IdempotencyKeyHeld';
  }
}

/** The record's columns as {@link parseHeldKey} reads them, from alias `r`. */
export const HELD_KEY_COLUMNS = `r.id AS record_id, r.fingerprint AS record_fingerprint,
  r.state::text AS record_state, r.created_at AS record_created_at,
  r.expires_at AS record_expires_at, r.response_status AS record_status,
  r.response_body AS record_body, r.transaction_id AS record_transaction_id`;

export interface HeldKeyRow {
  record_id: string | null;
  record_fingerprint: string | null;
  record_state: 'IN_PROGRESS' | 'COMPLETED' | null;
  record_created_at: Date | null;
  record_expires_at: Date | null;
  record_status: number | null;
  record_body: unknown;
  record_transaction_id: string | null;
}

/** The record in a row selected with {@link HELD_KEY_COLUMNS}; null when there was none. */
export function parseHeldKey(row: HeldKeyRow): HeldIdempotencyKey | null {
  if (row.record_id === null) return null;
  return {
    recordId: row.record_id,
    fingerprint: row.record_fingerprint!,
    state: row.record_state!,
    createdAt: row.record_created_at!,
    expiresAt: row.record_expires_at!,
    status: row.record_status,
    body: row.record_body,
    transactionId: row.record_transaction_id,
  };
}

/** Placeholders of {@link idempotencyRecordCte}'s values, numbered by the statement using it. */
export interface IdempotencyRecordParams {
  /** The new record's id (uuid); NULL writes no record (a request without a key). */
  id: string;
  agentId: string;
  key: string;
  fingerprint: string;
  status: string;
  body: string;
  /** The transaction the response describes (uuid, or NULL for a denial). */
  transactionId: string;
  /** The instant written (timestamptz). */
  now: string;
  expiresAt: string;
  /** See {@link IdempotencyClock.staleBefore}. */
  staleBefore: string;
}

/**
 * A CTE body writing the COMPLETED record of a request, for the statement that writes what
 * the request did: `WITH rec AS (${idempotencyRecordCte(p)}), …`. It returns the record's id
 * when it wrote it, and nothing when the key is held: the statement's other writes test
 * `EXISTS (SELECT 1 FROM rec)` and write nothing either, and the caller rolls back and answers
 * from the holder. An expired record, or a stale claim of a dead process, is replaced.
 *
 * A holder whose transaction has not committed (the same key used at once for another wallet)
 * is waited for: this statement then sees it committed (held) or rolled back (written).
 */
export function idempotencyRecordCte(p: IdempotencyRecordParams): string {
  return `INSERT INTO idempotency_records AS r (id, agent_id, key, fingerprint, state,
             response_status, response_body, transaction_id, created_at, completed_at, expires_at)
       SELECT ${p.id}::uuid, ${p.agentId}::uuid, ${p.key}, ${p.fingerprint}, 'COMPLETED',
              ${p.status}::smallint, ${p.body}::jsonb, ${p.transactionId}::uuid,
              ${p.now}::timestamptz, ${p.now}::timestamptz, ${p.expiresAt}::timestamptz
       WHERE ${p.id}::uuid IS NOT NULL
       ON CONFLICT (agent_id, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, state = 'COMPLETED',
           response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
           transaction_id = EXCLUDED.transaction_id, created_at = EXCLUDED.created_at,
           completed_at = EXCLUDED.completed_at, expires_at = EXCLUDED.expires_at
       WHERE r.expires_at <= EXCLUDED.created_at
          OR (r.state = 'IN_PROGRESS' AND r.created_at <= ${p.staleBefore}::timestamptz)
       RETURNING r.id`;
}

/**
 * @example
 * ```ts
 * const idem = new IdempotencyRepository(prisma);
 * const held = await idem.find(agentId, 'order-42');
 * if (held?.state === 'COMPLETED') reply(held.status, held.body);
 * ```
 */
export class IdempotencyRepository {
  /** Answers a retry on the hot path: plain `pg` (see `sql.ts`). */
  private readonly sql: Sql;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = sqlPool(prisma);
  }

  /** The record under (agent, key), whatever its state or age; null when there is none. */
  async find(agentId: string, key: string): Promise<HeldIdempotencyKey | null> {
    const rows = await this.sql.query<HeldKeyRow>(
      `SELECT ${HELD_KEY_COLUMNS} FROM idempotency_records r
       WHERE r.agent_id = $1::uuid AND r.key = $2`,
      [agentId, key],
    );
    return rows[0] === undefined ? null : parseHeldKey(rows[0]);
  }

  /**
   * Completes an IN_PROGRESS record (an earlier version's claim whose transaction committed)
   * with the response rebuilt from that transaction; later duplicates replay it.
   */
  async complete(recordId: string, response: IdempotencyCompletion): Promise<void> {
    await this.sql.query(
      `UPDATE idempotency_records
       SET state = 'COMPLETED', response_status = $2::smallint, response_body = $3::jsonb,
           transaction_id = $4::uuid, completed_at = $5::timestamptz
       WHERE id = $1::uuid AND state = 'IN_PROGRESS'`,
      [
        recordId,
        response.status,
        JSON.stringify(response.body ?? null),
        response.transactionId,
        response.now,
      ],
    );
  }

  /** Retention: deletes records past `expiresAt`; returns how many. */
  async deleteExpired(now: Date, limit = 10_000): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM idempotency_records WHERE id IN (
        SELECT id FROM idempotency_records WHERE expires_at <= ${now} LIMIT ${limit})`;
  }
}

/** What a completed record keeps for replays. */
export interface IdempotencyCompletion {
  status: number;
  body: unknown;
  transactionId: string | null;
  now: Date;
}
