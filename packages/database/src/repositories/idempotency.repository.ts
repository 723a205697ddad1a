/**
 * Idempotency-Key records (IETF `Idempotency-Key` draft, Stripe's practice) for the REST API.
 *
 * The unique index on (agent_id, key) is what makes concurrent duplicates safe: the first
 * request's INSERT wins, every other one finds the existing record and is answered from it
 * (409 while it is in progress, the stored response once it is complete, 422 when the request
 * differs). Records are kept until `expiresAt` (at least 24 h); an expired one is replaced.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';
import { type Sql, sqlPool } from '../sql.js';

/** What {@link IdempotencyRepository.begin} found. */
export type IdempotencyBegin =
  /** This request owns the key now: do the work, then `complete` (or `release` on failure). */
  | { kind: 'started'; recordId: string }
  /** The same request was completed before: answer with the stored response. */
  | {
      kind: 'replay';
      recordId: string;
      status: number;
      body: unknown;
      transactionId: string | null;
    }
  /** The key was used with a different request (fingerprint differs). */
  | { kind: 'mismatch'; recordId: string }
  /** The same request is still being processed (or its process died; see `startedAt`). */
  | { kind: 'in_progress'; recordId: string; startedAt: Date };

export interface IdempotencyBeginInput {
  agentId: string;
  key: string;
  /** SHA-256 (hex) of method, path and canonical body. */
  fingerprint: string;
  now: Date;
  /** How long the record is kept (at least 24 h: the API promises replays that long). */
  ttlMs: number;
}

/**
 * @example
 * ```ts
 * const idem = new IdempotencyRepository(prisma);
 * const begun = await idem.begin({ agentId, key, fingerprint, now: new Date(), ttlMs: 86_400_000 });
 * if (begun.kind === 'started') {
 *   const body = await doTheWork();
 *   await idem.complete(begun.recordId, { status: 201, body, transactionId, now: new Date() });
 * }
 * ```
 */
export class IdempotencyRepository {
  /** Every request that carries a key runs begin and complete: plain `pg` (see `sql.ts`). */
  private readonly sql: Sql;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = sqlPool(prisma);
  }

  /** Claims `key` for this request, or reports what already holds it. */
  async begin(input: IdempotencyBeginInput): Promise<IdempotencyBegin> {
    for (let attempt = 0; attempt < 3; attempt++) {
      // One statement: the claim (ON CONFLICT DO NOTHING: a duplicate is not an error, it is
      // the answer) or, when the key is taken, the record that holds it. A holder committed
      // after this statement's snapshot is not visible to its second half: the loop asks again.
      const rows = await this.sql.query<ClaimRow>(
        `WITH claimed AS (
           INSERT INTO idempotency_records (id, agent_id, key, fingerprint, state, created_at,
                                            expires_at)
           VALUES ($1::uuid, $2::uuid, $3, $4, 'IN_PROGRESS', $5::timestamptz, $6::timestamptz)
           ON CONFLICT (agent_id, key) DO NOTHING
           RETURNING id
         )
         SELECT id, true AS claimed, NULL::text AS fingerprint, NULL::text AS state,
                NULL::timestamptz AS created_at, NULL::timestamptz AS expires_at,
                NULL::smallint AS response_status, NULL::jsonb AS response_body,
                NULL::uuid AS transaction_id
         FROM claimed
         UNION ALL
         SELECT r.id, false, r.fingerprint, r.state::text, r.created_at, r.expires_at,
                r.response_status, r.response_body, r.transaction_id
         FROM idempotency_records r
         WHERE r.agent_id = $2::uuid AND r.key = $3 AND NOT EXISTS (SELECT 1 FROM claimed)`,
        [
          randomUUID(),
          input.agentId,
          input.key,
          input.fingerprint,
          input.now,
          new Date(input.now.getTime() + input.ttlMs),
        ],
      );
      const existing = rows[0];
      if (existing === undefined) continue; // released or expired in between: try again
      if (existing.claimed) return { kind: 'started', recordId: existing.id };
      if (existing.expires_at! <= input.now) {
        await this.sql.query(
          'DELETE FROM idempotency_records WHERE id = $1::uuid AND expires_at <= $2::timestamptz',
          [existing.id, input.now],
        );
        continue;
      }
      if (existing.fingerprint !== input.fingerprint)
        return { kind: 'mismatch', recordId: existing.id };
      if (existing.state === 'IN_PROGRESS')
        return { kind: 'in_progress', recordId: existing.id, startedAt: existing.created_at! };
      return {
        kind: 'replay',
        recordId: existing.id,
        status: existing.response_status ?? 500,
        body: existing.response_body,
        transactionId: existing.transaction_id,
      };
    }
    throw new Error(`idempotency key ${input.key} kept changing hands; giving up`);
  }

  /** Stores the response; later duplicates replay it. Only an IN_PROGRESS record is completed. */
  async complete(recordId: string, response: IdempotencyCompletion): Promise<void> {
    await completeIdempotencyRecord(this.sql, recordId, response);
  }

  /**
   * Forgets an IN_PROGRESS record (the request failed before anything was decided, so a retry
   * with the same key must be allowed to run).
   */
  async release(recordId: string): Promise<void> {
    await this.sql.query(
      `DELETE FROM idempotency_records WHERE id = $1::uuid AND state = 'IN_PROGRESS'`,
      [recordId],
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

/**
 * Completes an IN_PROGRESS record on `sql`: autocommit from {@link IdempotencyRepository.complete},
 * or inside a caller's transaction so its work and the stored response commit together.
 */
export async function completeIdempotencyRecord(
  sql: Sql,
  recordId: string,
  response: IdempotencyCompletion,
): Promise<void> {
  await sql.query(
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

interface ClaimRow {
  id: string;
  claimed: boolean;
  fingerprint: string | null;
  state: 'IN_PROGRESS' | 'COMPLETED' | null;
  created_at: Date | null;
  expires_at: Date | null;
  response_status: number | null;
  response_body: unknown;
  transaction_id: string | null;
}
