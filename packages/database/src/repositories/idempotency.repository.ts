/**
 * Idempotency-Key records (IETF `Idempotency-Key` draft, Stripe's practice) for the REST API.
 *
 * The unique index on (agent_id, key) is what makes concurrent duplicates safe: the first
 * request's INSERT wins, every other one finds the existing record and is answered from it
 * (409 while it is in progress, the stored response once it is complete, 422 when the request
 * differs). Records are kept until `expiresAt` (at least 24 h); an expired one is replaced.
 */
import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';

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
  constructor(private readonly prisma: PrismaClient) {}

  /** Claims `key` for this request, or reports what already holds it. */
  async begin(input: IdempotencyBeginInput): Promise<IdempotencyBegin> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const recordId = randomUUID();
      // ON CONFLICT DO NOTHING: a duplicate is not an error, it is the answer.
      const { count } = await this.prisma.idempotencyRecord.createMany({
        data: [
          {
            id: recordId,
            agentId: input.agentId,
            key: input.key,
            fingerprint: input.fingerprint,
            state: 'IN_PROGRESS',
            createdAt: input.now,
            expiresAt: new Date(input.now.getTime() + input.ttlMs),
          },
        ],
        skipDuplicates: true,
      });
      if (count === 1) return { kind: 'started', recordId };

      const existing = await this.prisma.idempotencyRecord.findUnique({
        where: { agentId_key: { agentId: input.agentId, key: input.key } },
      });
      if (existing === null) continue; // deleted (released or expired) in between: try again
      if (existing.expiresAt <= input.now) {
        await this.prisma.idempotencyRecord.deleteMany({
          where: { id: existing.id, expiresAt: { lte: input.now } },
        });
        continue;
      }
      if (existing.fingerprint !== input.fingerprint)
        return { kind: 'mismatch', recordId: existing.id };
      if (existing.state === 'IN_PROGRESS')
        return { kind: 'in_progress', recordId: existing.id, startedAt: existing.createdAt };
      return {
        kind: 'replay',
        recordId: existing.id,
        status: existing.responseStatus ?? 500,
        body: existing.responseBody,
        transactionId: existing.transactionId,
      };
    }
    throw new Error(`idempotency key ${input.key} kept changing hands; giving up`);
  }

  /** Stores the response; later duplicates replay it. Only an IN_PROGRESS record is completed. */
  async complete(
    recordId: string,
    response: { status: number; body: unknown; transactionId: string | null; now: Date },
  ): Promise<void> {
    await this.prisma.idempotencyRecord.updateMany({
      where: { id: recordId, state: 'IN_PROGRESS' },
      data: {
        state: 'COMPLETED',
        responseStatus: response.status,
        responseBody:
          response.body === null ? Prisma.JsonNull : (response.body as Prisma.InputJsonValue),
        transactionId: response.transactionId,
        completedAt: response.now,
      },
    });
  }

  /**
   * Forgets an IN_PROGRESS record (the request failed before anything was decided, so a retry
   * with the same key must be allowed to run).
   */
  async release(recordId: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({
      where: { id: recordId, state: 'IN_PROGRESS' },
    });
  }

  /** Retention: deletes records past `expiresAt`; returns how many. */
  async deleteExpired(now: Date, limit = 10_000): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM idempotency_records WHERE id IN (
        SELECT id FROM idempotency_records WHERE expires_at <= ${now} LIMIT ${limit})`;
  }
}
