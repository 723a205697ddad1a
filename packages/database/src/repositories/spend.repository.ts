/**
 * Policy-checked, concurrency-safe transfer reservation: the one place where a transfer is
 * judged against its wallet's policy and, when allowed, recorded — atomically.
 *
 * Locking choice: a row lock on the wallet (`SELECT … FOR UPDATE`), not a conditional update
 * of a running total. The policy's windows are rolling and per asset, and a failed transfer
 * must stop counting the moment its status changes; a stored total would need its own
 * bookkeeping for every one of those transitions (and for the window sliding), and would drift
 * the first time one was missed. With the lock, the sum is always recomputed from the
 * transactions themselves (an index range scan on (wallet_id, created_at)), under READ
 * COMMITTED each statement after the lock sees every reservation committed before it, and
 * requests for different wallets never wait for each other.
 *
 * Signing happens inside the lock, after the decision and before the row is written: a
 * transfer is never signed unless allowed, and a crash before commit leaves neither a row nor
 * a broadcastable transaction (the worker only sends committed rows). The price is that one
 * wallet's transfers are signed one at a time.
 */
import {
  type DailyWindow,
  DEFAULT_DAILY_WINDOW,
  delayOf,
  evaluate,
  rateWindowStart,
  windowStart,
  type Decision,
  type Policy,
} from '@waiaas/policy-engine';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Prisma, type PrismaClient, type Transaction } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';
import { RepositoryError } from '../repository-error.js';
import type DataLoader from 'dataloader';
import { busyBatch } from '../busy-batch.js';
import { isDatabaseUnavailable } from '../errors.js';
import {
  type Sql,
  sqlOf,
  sqlPool,
  sqlPoolSize,
  type SqlStatement,
  sqlTransaction,
  type TransactionSql,
} from '../sql.js';
import {
  HELD_KEY_COLUMNS,
  type HeldIdempotencyKey,
  type HeldKeyRow,
  holdsKey,
  type IdempotencyClock,
  IdempotencyKeyHeld,
  idempotencyRecordCte,
  parseHeldKey,
} from './idempotency.repository.js';
import { parseStoredPolicy, type StoredPolicyRow } from './stored-policy.js';
import {
  boundsFrom,
  type CountedByAsset,
  foldFees,
  NOT_COUNTING_SQL_TEXT,
  NOT_COUNTING_STATUSES,
  type WindowBounds,
} from './spend-accounting.js';
import { recordAwaitingApproval, recordDelayed } from './approval-expiry.repository.js';

/** What an agent asked for, in base units. */
export interface TransferRequest {
  walletId: string;
  /** The requesting agent (null for owner-initiated or system transfers). */
  agentId: string | null;
  /**
   * The agent key that asked (stored on the row). When the key has a daily cap, the cap is
   * checked under the key's row lock with the wallet's limits (see {@link SpendRepository}).
   */
  agentKeyId?: string | null;
  idempotencyKey: string | null;
  /** Mint address; null = SOL. */
  asset: string | null;
  /** Base units (lamports or token base units). */
  amount: bigint;
  /** The asset's decimals (9 for SOL). */
  decimals: number;
  destination: string;
  memo: string | null;
  /** Program ids the transaction will invoke (for `allowedPrograms`); stored on the row. */
  programs?: readonly string[];
  /** Network fee in lamports (counts toward the SOL limits; stored on the row). Default 0. */
  fee?: bigint;
  /** The decision's clock; also stored as the transaction's `createdAt`. */
  now: Date;
}

/** What the sign callback returns: everything the worker needs to (re)broadcast and expire. */
export interface SignedTransfer {
  signature: string;
  wireTransaction: Uint8Array;
  blockhash: string;
  lastValidBlockHeight: bigint;
}

/** Builds and signs the transfer. Called only when the policy allows it, inside the lock. */
export type SignTransfer = (decision: Decision) => Promise<SignedTransfer>;

export type ReserveResult =
  | { outcome: 'DENY'; decision: Decision; transaction: null }
  | { outcome: 'ALLOW' | 'REQUIRE_APPROVAL'; decision: Decision; transaction: Transaction };

/** `ALLOW` with a DELAYED transaction: approved, now waiting out the policy's delay. */
export type ApproveResult =
  | { outcome: 'DENY'; decision: Decision; transaction: Transaction }
  | { outcome: 'ALLOW'; decision: Decision; transaction: Transaction };

/**
 * A due DELAYED transfer after its release: `ALLOW` → signed, PENDING; `DENY` → the re-check
 * refused it, FAILED/POLICY with the decision stored; `SKIPPED` → it was no longer DELAYED
 * and due when locked (another releaser took it, or the owner cancelled it): nothing changed.
 */
export type ReleaseResult =
  | { outcome: 'ALLOW' | 'DENY'; decision: Decision; transaction: Transaction }
  | { outcome: 'SKIPPED'; decision: null; transaction: null };

/**
 * The caller's idempotency key for this reservation: its record is written COMPLETED, with the
 * response for the outcome, by the reservation's own write statement, so the transfer and the
 * answer a retry replays commit together (or not at all). A reservation that finds the key held
 * (by a duplicate that committed first, or the same key used for another request) writes
 * nothing and throws {@link IdempotencyKeyHeld}.
 */
export interface ReservationReceipt extends IdempotencyClock {
  agentId: string;
  key: string;
  /** SHA-256 (hex) of method, path and canonical body (same key, other request ⇒ refused). */
  fingerprint: string;
  /** Until when the record is kept (at least 24 h: the API promises replays that long). */
  expiresAt: Date;
  /** The response to store for this outcome (status and body, as the caller answers). */
  respond: (result: ReserveResult) => { status: number; body: unknown };
}

export interface SpendRepositoryOptions {
  /** Longest a reservation may hold its wallet lock, signing included (default 20 s). */
  transactionTimeoutMs?: number;
  /** Longest to wait for a pooled connection (default 20 s). */
  maxWaitMs?: number;
  /** How long an AWAITING_APPROVAL transfer waits for the owner before it expires (default 24 h). */
  approvalTtlMs?: number;
}

/**
 * Runs this process's work one at a time per key. Written here rather than taken from a
 * library: async-mutex and p-limit give one lock or one queue, not a set keyed by wallet that
 * drops each key when its queue drains; over a Map of promise tails it is a dozen lines.
 */
class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** Channel the confirmation worker LISTENs on; the payload is a transaction id. */
export const PENDING_TRANSACTION_CHANNEL = 'waiaas_tx_pending';

/** Which freeze stops a transfer (see `freeze_scope()` in the migrations). */
type FrozenScope = 'SERVICE' | 'OWNER' | 'WALLET' | 'AGENT';

interface WalletRow {
  owner_id: string;
}

/** The requesting key's daily cap (lamports), read and locked with the wallet; null: no cap. */
type KeyCap = bigint | null;

type PolicyRow = StoredPolicyRow;

/** A row of the spend-sum statement (see {@link spendSumsSql}). */
interface SpendRow {
  asset: string | null;
  /** Per daily window of the statement, in its order; null: nothing counted there. */
  spent: (string | null)[];
  fees: (string | null)[];
  recent: number;
  /** The capped key's row (SOL amounts and every fee of its transfers), not the wallet's. */
  by_key: boolean;
}

/**
 * @example
 * ```ts
 * const spend = new SpendRepository(prisma);
 * const result = await spend.reserveTransfer(
 *   { walletId, agentId, idempotencyKey: 'order-42', asset: null, amount: 100_000_000n,
 *     decimals: 9, destination, memo: null, now: new Date() },
 *   async () => signer.sign(...), // only runs when the policy allows the transfer
 * );
 * if (result.outcome === 'DENY') console.log(result.decision.reasons);
 * ```
 */
export class SpendRepository {
  private readonly txOptions: { timeout: number; maxWait: number };
  private readonly approvalTtlMs: number;
  /** Dry runs' statements, gathered into one while the autocommit connections are busy. */
  private readonly evaluations: DataLoader<readonly unknown[], EvaluateRow | null>;
  /**
   * Reservations for one wallet queue here before they take a pooled connection: waiting for a
   * wallet's row lock then costs this process one connection, not one per request, so a burst
   * on one wallet cannot starve every other wallet of connections. The row lock still does the
   * real work across processes.
   */
  private readonly perWallet = new KeyedSerializer();
  /**
   * The shape of the spend sums each wallet's last reservation in this process read (its
   * policy's daily window, whether it counted the last hour), and whether each agent key has a
   * daily cap (fixed when the key is created): a reservation sends the sums it expects with
   * the lock that reads the policy, one round trip for both ({@link SumsShape}).
   */
  private readonly walletShapes = new LRUCache<string, Omit<SumsShape, 'keyId'>>({ max: 10_000 });
  private readonly cappedKeys = new LRUCache<string, boolean>({ max: 10_000 });

  constructor(
    private readonly prisma: PrismaClient,
    options: SpendRepositoryOptions = {},
  ) {
    this.txOptions = {
      timeout: options.transactionTimeoutMs ?? 20_000,
      maxWait: options.maxWaitMs ?? 20_000,
    };
    this.approvalTtlMs = options.approvalTtlMs ?? 86_400_000;
    this.evaluations = busyBatch((batch) => this.evaluateRows(batch), {
      slots: sqlPoolSize(prisma),
      maxBatchSize: EVALUATE_MAX_BATCH,
    });
  }

  /**
   * Judges `request` against the wallet's policy and the spend already counted, under the
   * wallet's lock, and records it: DENY → nothing but an audit event; REQUIRE_APPROVAL → an
   * unsigned `AWAITING_APPROVAL` row (which counts as spend until rejected); ALLOW → `sign` is
   * called and a `PENDING` row stored with the signed bytes, and the worker is notified on
   * commit. Throws `WALLET_NOT_FOUND` for an unknown wallet.
   *
   * `sign` runs while this transaction holds one of the client's pooled connections: it must
   * not need another connection from the same pool (give custody its own pool), or a burst of
   * reservations can exhaust the pool and wait on itself.
   */
  async reserveTransfer(
    request: TransferRequest,
    sign: SignTransfer,
    receipt?: ReservationReceipt,
  ): Promise<ReserveResult> {
    return this.perWallet.run(request.walletId, () =>
      this.reserveLocked(request, sign, receipt ?? null),
    );
  }

  /**
   * Plain `pg` statements on Prisma's pool (see `sql.ts`): BEGIN, lock + policy (+ the
   * idempotency record, if one is already there) and the spend sums in one round trip, then one
   * statement writing the transaction, its event, the idempotency record and the worker's
   * notification, with COMMIT.
   *
   * The sums go out with the lock, before the policy they depend on has been read: they are
   * the sums of the shape this wallet's last reservation found ({@link SumsShape}). If the
   * locked policy wants another shape (a first reservation here, a policy changed since), the
   * sums are read again for it, one round trip more; a decision is only ever taken on the sums
   * its policy asks for.
   */
  private async reserveLocked(
    request: TransferRequest,
    sign: SignTransfer,
    receipt: ReservationReceipt | null,
  ): Promise<ReserveResult> {
    return sqlTransaction(
      this.prisma,
      async (sql) => {
        const expected = this.expectedShape(request);
        const sums = sumsStatement(expected, request);
        const [{ wallet, policy, version, keyCap, held }, sumRows] = await lockWalletWithPolicy(
          sql,
          request.walletId,
          request.agentKeyId ?? null,
          request.agentId,
          receipt?.key ?? null,
          sums.statement,
        );
        // A retry of a request that completed: answered from its record before anything is
        // judged (seen here when it committed before this statement; one that committed while
        // this statement waited for the lock is met by the write's conflict instead).
        if (receipt && held && holdsKey(held, receipt)) throw new IdempotencyKeyHeld(held);
        const shape = policy === null ? null : shapeOf(policy, request, keyCap);
        this.rememberShape(request, shape, keyCap);
        const decision =
          policy !== null && shape !== null && sameShape(shape, expected)
            ? decide(policy, request, sums.dayStart, foldSpendRows(sumRows, 0), null, keyCap)
            : await judge(sql, policy, request, null, keyCap);
        const actor = {
          actorType: request.agentId ? ('AGENT' as const) : ('SYSTEM' as const),
          actorId: request.agentId,
        };

        if (decision.outcome === 'DENY') {
          const result: ReserveResult = { outcome: 'DENY', decision, transaction: null };
          const recorded = await insertDenied(sql, {
            event: {
              type: 'transfer.denied',
              ...actor,
              ownerId: wallet.owner_id,
              walletId: request.walletId,
              transactionId: null,
              payload: transferPayload(request),
              policyDecision: decision,
            },
            record: receipt ? { ...receipt, ...receipt.respond(result) } : null,
          });
          if (!recorded) throw new IdempotencyKeyHeld(null);
          return result;
        }

        // Approval comes first and the delay runs from it (see the approve path), so only an
        // ALLOW is delayed here.
        const delay = decision.outcome === 'ALLOW' ? delayOf(decision) : undefined;
        const signed =
          decision.outcome === 'ALLOW' && delay === undefined ? await sign(decision) : null;
        const dueAt =
          delay === undefined ? null : new Date(request.now.getTime() + delay.delaySeconds * 1000);
        const transaction = newTransferRow(
          request,
          signed,
          decision,
          version,
          this.approvalTtlMs,
          dueAt,
        );
        const result: ReserveResult = { outcome: decision.outcome, decision, transaction };
        const recorded = await insertTransfer(sql, {
          transaction,
          request,
          ...actor,
          ownerId: wallet.owner_id,
          record: receipt ? { ...receipt, ...receipt.respond(result) } : null,
          // A signed transfer's write is the last statement: COMMIT goes with it.
          last: signed !== null,
        });
        if (!recorded) throw new IdempotencyKeyHeld(null);
        if (dueAt !== null) await recordDelayed(sql, { transactionId: transaction.id, ...actor });
        else if (signed === null)
          await recordAwaitingApproval(sql, { transactionId: transaction.id });
        return result;
      },
      { idleTimeoutMs: this.txOptions.timeout },
    );
  }

  /** The sums a reservation on this wallet with this key is expected to need. */
  private expectedShape(request: TransferRequest): SumsShape {
    const wallet = this.walletShapes.get(request.walletId);
    const keyId = request.agentKeyId ?? null;
    return {
      dailyWindow: wallet?.dailyWindow ?? DEFAULT_DAILY_WINDOW,
      countsHour: wallet?.countsHour ?? false,
      keyId: keyId !== null && this.cappedKeys.get(keyId) === true ? keyId : null,
    };
  }

  private rememberShape(request: TransferRequest, shape: SumsShape | null, keyCap: KeyCap): void {
    if (shape !== null)
      this.walletShapes.set(request.walletId, {
        dailyWindow: shape.dailyWindow,
        countsHour: shape.countsHour,
      });
    if (request.agentKeyId) this.cappedKeys.set(request.agentKeyId, keyCap !== null);
  }

  /**
   * The owner approves an `AWAITING_APPROVAL` transfer. The policy is evaluated again at this
   * moment (the transfer's own reservation excluded, the approval requirement waived): if the
   * budget was used up meanwhile it becomes `FAILED`/`POLICY`; otherwise it is signed (fresh
   * blockhash) and becomes `PENDING`. Throws `TRANSACTION_NOT_FOUND` (also for another owner's
   * transaction) and `TRANSACTION_NOT_AWAITING_APPROVAL`.
   */
  async approveTransfer(
    input: { transactionId: string; ownerId: string; now: Date },
    sign: SignTransfer,
  ): Promise<ApproveResult> {
    return this.prisma.$transaction(async (tx) => {
      const pending = await lockAwaitingApproval(tx, input.transactionId, input.ownerId, input.now);
      await refuseIfFrozen(sqlOf(tx), pending.walletId, pending.agentId);
      const { policy, version } = await loadPolicy(sqlOf(tx), pending.walletId);
      const request = requestOf(pending, input.now);
      // The key's cap needs no second look: the reservation already holds its budget.
      const judged = await judge(sqlOf(tx), policy, request, pending, null);
      // The owner's approval is the approval the policy asked for.
      const decision: Decision =
        judged.outcome === 'REQUIRE_APPROVAL' ? { ...judged, outcome: 'ALLOW' } : judged;
      // Every outcome writes the decision on the row and one event by the owner, together.
      const decide = async (
        data: Prisma.TransactionUpdateInput,
        event: { type: string; payload: Prisma.InputJsonObject },
      ): Promise<Transaction> => {
        const transaction = await tx.transaction.update({
          where: { id: pending.id },
          data: {
            ...data,
            policyDecision: toJson(decision),
            policyVersion: version,
            decidedAt: input.now,
          },
        });
        await tx.event.create({
          data: {
            ...event,
            actorType: 'OWNER',
            actorId: input.ownerId,
            ownerId: input.ownerId,
            walletId: pending.walletId,
            transactionId: pending.id,
            policyDecision: toJson(decision),
          },
        });
        return transaction;
      };

      if (decision.outcome === 'DENY') {
        const transaction = await decide(
          {
            status: 'FAILED',
            failureReason: 'POLICY',
            errorMsg: 'The policy no longer allows this transfer at approval time.',
            policyOutcome: 'DENY',
          },
          { type: 'transaction.failed', payload: { status: 'FAILED', failureReason: 'POLICY' } },
        );
        return { outcome: 'DENY', decision, transaction };
      }

      const delay = delayOf(decision);
      if (delay !== undefined) {
        // Approved, then the policy's cool-down: it runs from the approval, and the owner can
        // still cancel until it is due.
        const dueAt = new Date(input.now.getTime() + delay.delaySeconds * 1000);
        const transaction = await decide(
          { status: 'DELAYED', dueAt, policyOutcome: 'ALLOW' },
          {
            type: 'transaction.approved',
            payload: { status: 'DELAYED', dueAt: dueAt.toISOString() },
          },
        );
        await recordDelayed(sqlOf(tx), {
          transactionId: pending.id,
          actorType: 'OWNER',
          actorId: input.ownerId,
        });
        return { outcome: 'ALLOW', decision, transaction };
      }

      const signed = await sign(decision);
      const transaction = await decide(
        { status: 'PENDING', ...signedColumns(signed), policyOutcome: 'ALLOW' },
        {
          type: 'transaction.approved',
          payload: { status: 'PENDING', signature: signed.signature },
        },
      );
      await notifyPending(tx, transaction.id);
      return { outcome: 'ALLOW', decision, transaction };
    }, this.txOptions);
  }

  /**
   * The owner rejects an `AWAITING_APPROVAL` transfer: it becomes `REJECTED` and stops counting
   * against the limits at once. Same errors as {@link approveTransfer}.
   */
  async rejectTransfer(input: {
    transactionId: string;
    ownerId: string;
    now: Date;
  }): Promise<Transaction> {
    return this.prisma.$transaction(async (tx) => {
      const pending = await lockAwaitingApproval(tx, input.transactionId, input.ownerId, input.now);
      const transaction = await tx.transaction.update({
        where: { id: pending.id },
        data: { status: 'REJECTED', decidedAt: input.now },
      });
      await tx.event.create({
        data: {
          type: 'transaction.rejected',
          actorType: 'OWNER',
          actorId: input.ownerId,
          ownerId: input.ownerId,
          walletId: pending.walletId,
          transactionId: pending.id,
          payload: { status: 'REJECTED' },
        },
      });
      return transaction;
    }, this.txOptions);
  }

  /**
   * The owner cancels a DELAYED transfer before it is released: it becomes CANCELLED (never
   * signed) and stops counting against the limits at once. Locks wallet then transaction, as
   * the releaser does, so a cancel and a release of one transfer are serialised and exactly
   * one of them wins. Throws `TRANSACTION_NOT_FOUND` (also for another owner's transaction)
   * and `TRANSACTION_NOT_DELAYED` (with its current status).
   */
  async cancelDelayedTransfer(input: {
    transactionId: string;
    ownerId: string;
    now: Date;
  }): Promise<Transaction> {
    return this.prisma.$transaction(async (tx) => {
      const found = await tx.transaction.findFirst({
        where: { id: input.transactionId, wallet: { ownerId: input.ownerId } },
        select: { walletId: true },
      });
      if (!found)
        throw new RepositoryError('TRANSACTION_NOT_FOUND', { transactionId: input.transactionId });
      await lockWallet(tx, found.walletId);
      const current = await lockTransaction(tx, input.transactionId);
      if (current.status !== 'DELAYED')
        throw new RepositoryError('TRANSACTION_NOT_DELAYED', {
          transactionId: input.transactionId,
          status: current.status,
        });
      const transaction = await tx.transaction.update({
        where: { id: current.id },
        data: { status: 'CANCELLED', decidedAt: input.now },
      });
      await tx.event.create({
        data: {
          type: 'transaction.cancelled',
          actorType: 'OWNER',
          actorId: input.ownerId,
          ownerId: input.ownerId,
          walletId: current.walletId,
          transactionId: current.id,
          payload: { status: 'CANCELLED', previousStatus: 'DELAYED' },
        },
      });
      return transaction;
    }, this.txOptions);
  }

  /**
   * DELAYED transfers due at `now`, oldest due first: candidates for {@link releaseDelayed}.
   * Reads without locking: the release itself locks and re-checks, so two releasers may list
   * the same row and exactly one of them releases it.
   */
  async listDueDelayed(
    now: Date,
    limit: number,
  ): Promise<(Transaction & { wallet: { address: string } })[]> {
    return this.prisma.transaction.findMany({
      where: { status: 'DELAYED', dueAt: { lte: now } },
      orderBy: { dueAt: 'asc' },
      take: limit,
      include: { wallet: { select: { address: true } } },
    });
  }

  /**
   * Releases one due DELAYED transfer, exactly once: under the wallet lock and the
   * transaction's row lock (the order reservations, approvals and cancels use), it must still
   * be DELAYED and due, else `SKIPPED`. The policy is judged again at `now` (its own
   * reservation excluded; the delay served; the approval requirement waived only if the owner
   * approved it before the delay): allowed → `sign` (fresh blockhash), PENDING, the worker
   * notified on commit; refused → FAILED/POLICY with the decision stored. A crash before
   * commit leaves it DELAYED and unsigned for the next release; signed bytes exist only in a
   * committed PENDING row, so no transfer is ever signed twice into two rows.
   */
  async releaseDelayed(
    input: { transactionId: string; now: Date },
    sign: SignTransfer,
  ): Promise<ReleaseResult> {
    return this.prisma.$transaction(async (tx) => {
      const found = await tx.transaction.findUnique({
        where: { id: input.transactionId },
        select: { walletId: true },
      });
      if (!found) return { outcome: 'SKIPPED', decision: null, transaction: null };
      const wallet = await lockWallet(tx, found.walletId);
      const current = await lockTransaction(tx, input.transactionId);
      if (current.status !== 'DELAYED' || current.dueAt === null || current.dueAt > input.now)
        return { outcome: 'SKIPPED', decision: null, transaction: null };
      // A freeze cancels DELAYED transfers in its scope; this only guards a race with one.
      await refuseIfFrozen(sqlOf(tx), current.walletId, current.agentId);
      const { policy, version } = await loadPolicy(sqlOf(tx), current.walletId);
      const judged = await judge(sqlOf(tx), policy, requestOf(current, input.now), current, null);
      const decision = releaseDecision(judged, current.decidedAt !== null);
      const common = {
        actorType: 'SYSTEM' as const,
        actorId: null,
        ownerId: wallet.owner_id,
        walletId: current.walletId,
        transactionId: current.id,
      };
      if (decision.outcome !== 'ALLOW') {
        const denied: Decision = { ...decision, outcome: 'DENY' };
        const transaction = await tx.transaction.update({
          where: { id: current.id },
          data: {
            status: 'FAILED',
            failureReason: 'POLICY',
            errorMsg: 'The policy no longer allows this transfer when its delay ended.',
            policyOutcome: 'DENY',
            policyDecision: toJson(denied),
            policyVersion: version,
          },
        });
        await tx.event.create({
          data: {
            type: 'transaction.failed',
            ...common,
            payload: { status: 'FAILED', failureReason: 'POLICY', previousStatus: 'DELAYED' },
            policyDecision: toJson(denied),
          },
        });
        return { outcome: 'DENY', decision: denied, transaction };
      }
      const signed = await sign(decision);
      const transaction = await tx.transaction.update({
        where: { id: current.id },
        data: {
          status: 'PENDING',
          ...signedColumns(signed),
          policyOutcome: 'ALLOW',
          policyDecision: toJson(decision),
          policyVersion: version,
        },
      });
      await tx.event.create({
        data: {
          type: 'transaction.released',
          ...common,
          payload: { status: 'PENDING', signature: signed.signature, previousStatus: 'DELAYED' },
          policyDecision: toJson(decision),
        },
      });
      await notifyPending(tx, transaction.id);
      return { outcome: 'ALLOW', decision, transaction };
    }, this.txOptions);
  }

  /**
   * Dry run: the decision `reserveTransfer` would make right now. Takes no lock and writes
   * nothing, so a concurrent reservation may change the answer.
   *
   * One statement: the policy, the key's cap, the freeze and the spend sums together. Without
   * a lock nothing has to be read after anything else, but the sums' window depends on the
   * policy: the statement has every kind of daily window, reads those the policy uses
   * ({@link EVALUATE_GATES}), and the policy's is picked here.
   */
  async evaluateTransfer(request: TransferRequest): Promise<Decision> {
    const dayStarts = DAILY_WINDOWS.map((dailyWindow) => windowStart({ dailyWindow }, request.now));
    const row = await this.evaluations.load([
      ...spendSumsValues(request.walletId, request.agentKeyId ?? null, request.now, dayStarts),
      request.agentId,
    ]);
    if (row === null) throw new RepositoryError('WALLET_NOT_FOUND', { walletId: request.walletId });
    // The dry run answers a freeze as the transfer would.
    if (row.frozen !== null)
      throw new RepositoryError('FROZEN', { scope: row.frozen, walletId: request.walletId });
    const { policy } = parseStoredPolicy(
      request.walletId,
      row.has_policy ? (row as PolicyRow) : undefined,
    );
    if (!policy) return judgeWithoutPolicy(request);
    const day = DAILY_WINDOWS.indexOf(policy.dailyWindow);
    return decide(
      policy,
      request,
      dayStarts[day]!,
      foldSpendRows(row.spend ?? [], day),
      null,
      row.key_cap === null ? null : BigInt(row.key_cap),
    );
  }

  /**
   * The rows of several dry runs' statements ({@link EVALUATE_SQL}), each the values of one
   * (null: no such wallet). One alone runs the statement itself; several run
   * {@link EVALUATE_BATCH_SQL}, and if that fails, each alone, so that one request's error
   * is its own; if the database did not answer it, every request fails with that at once.
   */
  private async evaluateRows(
    batch: readonly (readonly unknown[])[],
  ): Promise<(EvaluateRow | null | Error)[]> {
    const sql = sqlPool(this.prisma);
    const one = async (values: readonly unknown[]) =>
      (await sql.query<EvaluateRow>(EVALUATE_SQL, values))[0] ?? null;
    if (batch.length === 1) return [await one(batch[0]!)];
    let rows: (EvaluateRow & { n: number })[];
    try {
      rows = await sql.query<EvaluateRow & { n: number }>(
        EVALUATE_BATCH_SQL,
        // Times as ISO text: `pg` formats a Date element by element, a visible cost here.
        EVALUATE_PARAM_TYPES.map((_, k) =>
          batch.map((values) => {
            const value = values[k];
            return value instanceof Date ? value.toISOString() : value;
          }),
        ),
      );
    } catch (e) {
      // The database did not answer (timed out, unreachable): running each request again
      // would only wait as long once more per request, at the moment it is struggling.
      if (isDatabaseUnavailable(e)) {
        const error = e instanceof Error ? e : new Error(String(e));
        return batch.map(() => error);
      }
      // Otherwise one request's values may have failed the statement: each alone, so only that
      // request gets the error.
      return Promise.all(
        batch.map((values) =>
          one(values).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
        ),
      );
    }
    const byRequest = new Map(rows.map(({ n, ...row }) => [n, row]));
    return batch.map((_, i) => byRequest.get(i + 1) ?? null);
  }
}

/**
 * The re-check at release: the delay has been served (its reason is dropped), and an approval
 * the policy asks for counts as given only if the owner approved this transfer before its
 * delay (`approved`); a transfer delayed at creation that the policy now wants approved is
 * refused rather than signed without the owner.
 */
function releaseDecision(judged: Decision, approved: boolean): Decision {
  const reasons = judged.reasons.filter((r) => r.code !== 'DELAY_REQUIRED');
  if (judged.outcome === 'REQUIRE_APPROVAL' && approved) return { outcome: 'ALLOW', reasons };
  return { outcome: judged.outcome, reasons };
}

async function lockTransaction(tx: TransactionClient, transactionId: string): Promise<Transaction> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM transactions WHERE id = ${transactionId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new RepositoryError('TRANSACTION_NOT_FOUND', { transactionId });
  return tx.transaction.findUniqueOrThrow({ where: { id: transactionId } });
}

async function lockWallet(tx: TransactionClient, walletId: string): Promise<WalletRow> {
  const rows = await tx.$queryRaw<WalletRow[]>`
    SELECT owner_id FROM wallets WHERE id = ${walletId}::uuid FOR UPDATE`;
  const row = rows[0];
  if (!row) throw new RepositoryError('WALLET_NOT_FOUND', { walletId });
  return row;
}

/**
 * Locks in the same order as reservations (wallet, then transaction) so approvals and
 * reservations on one wallet can never deadlock.
 */
async function lockAwaitingApproval(
  tx: TransactionClient,
  transactionId: string,
  ownerId: string,
  now: Date,
): Promise<Transaction> {
  const found = await tx.transaction.findFirst({
    where: { id: transactionId, wallet: { ownerId } },
    select: { walletId: true },
  });
  if (!found) throw new RepositoryError('TRANSACTION_NOT_FOUND', { transactionId });
  await lockWallet(tx, found.walletId);
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM transactions WHERE id = ${transactionId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new RepositoryError('TRANSACTION_NOT_FOUND', { transactionId });
  const current = await tx.transaction.findUniqueOrThrow({ where: { id: transactionId } });
  if (current.status !== 'AWAITING_APPROVAL') {
    throw new RepositoryError('TRANSACTION_NOT_AWAITING_APPROVAL', {
      transactionId,
      status: current.status,
    });
  }
  // Past its expiry but not swept yet: as good as EXPIRED (the sweep will write it so).
  if (current.expiresAt !== null && current.expiresAt <= now)
    throw new RepositoryError('TRANSACTION_NOT_AWAITING_APPROVAL', {
      transactionId,
      status: 'EXPIRED',
    });
  return current;
}

/**
 * Throws `FROZEN` when a freeze stops transfers of `agentId` from `walletId`. Runs after the
 * wallet lock is held, so its snapshot includes every freeze committed before (a freeze locks
 * the wallet rows in its scope).
 */
async function refuseIfFrozen(sql: Sql, walletId: string, agentId: string | null): Promise<void> {
  const rows = await sql.query<{ frozen: FrozenScope | null }>(
    `SELECT freeze_scope($1::uuid, $2::uuid) AS frozen`,
    [walletId, agentId],
  );
  const frozen = rows[0]?.frozen ?? null;
  if (frozen !== null) throw new RepositoryError('FROZEN', { scope: frozen, walletId });
}

const POLICY_COLUMNS = `p.per_tx_limit::text, p.daily_limit::text, p.allowed_assets,
  p.allowed_addresses, p.requires_approval, p.metadata, p.version`;

async function loadPolicy(
  sql: Sql,
  walletId: string,
): Promise<{ policy: Policy | null; version: number | null }> {
  const rows = await sql.query<PolicyRow>(
    `SELECT ${POLICY_COLUMNS} FROM wallet_policies p WHERE p.wallet_id = $1::uuid`,
    [walletId],
  );
  return parseStoredPolicy(walletId, rows[0]);
}

/**
 * The reservation's first round trip: locks the wallet row and reads its policy in one
 * statement (the policy row is read after the lock is granted, so it is the committed one),
 * then runs `sums` (the spend sums) in the same round trip. The sums must be a statement of
 * their own, after the lock's: under READ COMMITTED a statement that waited for a row lock
 * re-reads that row but keeps the snapshot it started with for everything else, so sums read
 * by the locking statement could miss the transfer the previous holder of the lock just
 * committed. A statement sent after it in the same pipeline starts (and takes its snapshot)
 * only once the lock is held.
 */
async function lockWalletWithPolicy(
  sql: TransactionSql,
  walletId: string,
  agentKeyId: string | null,
  agentId: string | null,
  idempotencyKey: string | null,
  sums: SqlStatement,
): Promise<
  [
    {
      wallet: WalletRow;
      policy: Policy | null;
      version: number | null;
      keyCap: KeyCap;
      held: HeldIdempotencyKey | null;
    },
    SpendRow[],
  ]
> {
  // A capped key's row is locked too (FOR NO KEY UPDATE: it does not block the foreign-key
  // checks of other inserts), so the key's transfers on different wallets are serialised and
  // its cap, summed across wallets, cannot be overspent. The CTE runs from the target list,
  // before the wallet row is locked: every reservation takes key then wallet, never the
  // reverse. An uncapped key (or none) locks nothing more.
  // freeze_scope() is volatile: evaluated again, on a fresh snapshot, when this statement is
  // re-evaluated after waiting for a lock a freeze held (see freeze.repository.ts).
  // The caller's idempotency record, if it is already there, rides along (no key: no row).
  const [rows, sumRows] = await sql.queryPair<
    WalletRow &
      Partial<PolicyRow> &
      HeldKeyRow & {
        has_policy: boolean;
        key_cap: string | null;
        frozen: FrozenScope | null;
      },
    SpendRow
  >(
    {
      text: `WITH k AS MATERIALIZED (
       SELECT daily_cap::text AS daily_cap FROM agent_keys
       WHERE id = $2::uuid AND daily_cap IS NOT NULL
       FOR NO KEY UPDATE
     )
     SELECT w.owner_id, p.wallet_id IS NOT NULL AS has_policy, ${POLICY_COLUMNS},
            (SELECT daily_cap FROM k) AS key_cap,
            freeze_scope(w.id, $3::uuid) AS frozen, ${HELD_KEY_COLUMNS}
     FROM wallets w LEFT JOIN wallet_policies p ON p.wallet_id = w.id
       LEFT JOIN idempotency_records r ON r.agent_id = $3::uuid AND r.key = $4
     WHERE w.id = $1::uuid
     FOR UPDATE OF w`,
      values: [walletId, agentKeyId, agentId, idempotencyKey],
    },
    sums,
  );
  const row = rows[0];
  if (!row) throw new RepositoryError('WALLET_NOT_FOUND', { walletId });
  if (row.frozen !== null) throw new RepositoryError('FROZEN', { scope: row.frozen, walletId });
  const policyRow = row.has_policy ? (row as PolicyRow) : undefined;
  return [
    {
      wallet: { owner_id: row.owner_id },
      ...parseStoredPolicy(walletId, policyRow),
      keyCap: row.key_cap === null ? null : BigInt(row.key_cap),
      held: parseHeldKey(row),
    },
    sumRows,
  ];
}

const DAY_MS = 86_400_000;

/** The placeholders of a window's bounds in {@link spendSumsSql}. */
type WindowParams = Record<keyof WindowBounds, string>;

/**
 * $1 wallet, $2 first hour bucket read, $3 capped key, $4 key window start, $5–$7 the hour,
 * $8–$9 the key window's first whole minute and hour.
 */
const SPEND_SUMS_FIXED_PARAMS = 9;
const HOUR_WINDOW: WindowParams = { start: '$5', minute: '$6', hour: '$7' };
const KEY_WINDOW: WindowParams = { start: '$4', minute: '$8', hour: '$9' };

/** Daily window `i`'s placeholders: three per window after the fixed ones. */
function dayWindowParams(i: number): WindowParams {
  const n = SPEND_SUMS_FIXED_PARAMS + 1 + 3 * i;
  return { start: `$${n}`, minute: `$${n + 1}`, hour: `$${n + 2}` };
}

/** How many placeholders {@link spendSumsSql} uses for `dayWindows` windows. */
function spendSumsParamCount(dayWindows: number): number {
  return SPEND_SUMS_FIXED_PARAMS + 3 * dayWindows;
}

/** A minute bucket among window `w`'s whole minutes before its first whole hour. */
function minuteBucketInWindow(w: WindowParams): string {
  return `(width = 60 AND bucket_start >= ${w.minute} AND bucket_start < ${w.hour})`;
}

/** A spend bucket row inside window `w` (its hours, then its whole minutes before them). */
function bucketInWindow(w: WindowParams): string {
  return `((width = 3600 AND bucket_start >= ${w.hour}) OR ${minuteBucketInWindow(w)})`;
}

/** A transaction in window `w`'s partial first minute (the part no bucket holds whole). */
function rowInFirstMinute(w: WindowParams): string {
  return `(created_at >= ${w.start} AND created_at < ${w.minute})`;
}

/**
 * SQL conditions (constant within the statement: PostgreSQL evaluates each once and skips the
 * scans of a window whose condition is false) under which a window is read: `days[i]` for
 * daily window `i`, `hour` for the last hour. A window that is not read sums to nothing.
 */
interface WindowGates {
  days: readonly string[];
  hour: string;
}

/**
 * The spend-sum statement for `dayWindows` candidate daily windows (the reservation passes
 * its policy's one; the dry run, which reads the policy in the same statement, passes every
 * kind and picks afterwards), parameters as {@link spendSumsValues} lists them. One row per
 * asset from the buckets and one per asset from the transactions, each with its sums per daily
 * window (`spent[i]`, `fees[i]`, nulls when nothing) and its count in the last hour; then the
 * capped key's row (`by_key`, its one window at index 0: SOL amounts, then every fee), read
 * like a wallet's window from `key_spend_buckets` and the key's rows of the window's partial
 * first minute, and reading nothing when `keyId` (an SQL expression) is null.
 *
 * Built as text from one template, so both callers run the same sums and fold the same rows.
 * `gates` (the dry run's) skip the windows its policy does not use.
 */
function spendSumsSql(dayWindows: number, keyId: string, gates?: WindowGates): string {
  const days = Array.from({ length: dayWindows }, (_, i) => dayWindowParams(i));
  const windows = [...days, HOUR_WINDOW];
  // Window `i`'s gate (the last window is the hour), ANDed to everything read for it alone.
  const gate = (i: number) => {
    const expression = i === dayWindows ? gates?.hour : gates?.days[i];
    return expression === undefined ? '' : ` AND ${expression}`;
  };
  const perDay = (column: (w: WindowParams, i: number) => string) =>
    `ARRAY[${days.map(column).join(', ')}]::text[]`;
  const inDay = days.map((_, i) => `in_day_${i}`);
  // Every scan is one index range (a branch per range, UNION dropping a row two ranges both
  // hold), never an OR of ranges: these statements run prepared, and the generic plan
  // PostgreSQL settles on for an OR of parameter ranges was "every row of the wallet, then
  // filter" (auto_explain: 3,270 rows read for none kept), a cost that grew with history.
  const minuteBuckets = windows.map(
    (w, i) => `SELECT width, bucket_start, asset, amount, fees, tx_count FROM spend_buckets
      WHERE wallet_id = $1::uuid AND ${minuteBucketInWindow(w)}${gate(i)}`,
  );
  const firstMinuteRows = windows.map(
    (w, i) => `SELECT id, asset, amount, network_fee, created_at FROM transactions
      WHERE wallet_id = $1::uuid AND ${rowInFirstMinute(w)}${gate(i)}
        AND status NOT IN ${NOT_COUNTING_SQL_TEXT}`,
  );
  return `WITH r AS (
      SELECT width, bucket_start, asset, amount, fees, tx_count FROM spend_buckets
      WHERE wallet_id = $1::uuid AND width = 3600 AND bucket_start >= $2
      UNION
      ${minuteBuckets.join('\n      UNION\n      ')}
    ), b AS (
      SELECT asset, amount, fees, tx_count,
             ${days.map((w, i) => `(${bucketInWindow(w)}${gate(i)}) AS in_day_${i}`).join(',\n             ')},
             (${bucketInWindow(HOUR_WINDOW)}${gate(dayWindows)}) AS in_hour
      FROM r
    ), t AS (
      ${firstMinuteRows.join('\n      UNION\n      ')}
    )
    SELECT NULLIF(asset, '') AS asset,
           ${perDay((_, i) => `SUM(amount) FILTER (WHERE in_day_${i})`)} AS spent,
           ${perDay((_, i) => `SUM(fees) FILTER (WHERE in_day_${i})`)} AS fees,
           (COALESCE(SUM(tx_count) FILTER (WHERE in_hour), 0))::int AS recent,
           false AS by_key
    FROM b WHERE ${[...inDay, 'in_hour'].join(' OR ')}
    GROUP BY asset
    UNION ALL
    SELECT asset,
           ${perDay((w, i) => `SUM(amount) FILTER (WHERE ${rowInFirstMinute(w)}${gate(i)})`)},
           ${perDay((w, i) => `SUM(network_fee) FILTER (WHERE ${rowInFirstMinute(w)}${gate(i)})`)},
           (COUNT(*) FILTER (WHERE ${rowInFirstMinute(HOUR_WINDOW)}${gate(dayWindows)}))::int,
           false
    FROM t
    GROUP BY asset
    UNION ALL
    SELECT NULL, ARRAY[SUM(sol)]::text[], ARRAY[SUM(fees)]::text[], 0, true
    FROM (
      SELECT sol_amount AS sol, fees FROM key_spend_buckets
      WHERE agent_key_id = ${keyId} AND width = 3600 AND bucket_start >= ${KEY_WINDOW.hour}
      UNION ALL
      SELECT sol_amount, fees FROM key_spend_buckets
      WHERE agent_key_id = ${keyId} AND ${minuteBucketInWindow(KEY_WINDOW)}
      UNION ALL
      SELECT CASE WHEN asset IS NULL THEN amount ELSE 0 END, network_fee FROM transactions
      WHERE agent_key_id = ${keyId} AND ${rowInFirstMinute(KEY_WINDOW)}
        AND status NOT IN ${NOT_COUNTING_SQL_TEXT}
    ) key_rows`;
}

/**
 * The values of {@link spendSumsSql}'s placeholders, windows from `dayStarts` (one bound set
 * each) and the last hour. The key's cap window is always a rolling 24 hours (the key spans
 * wallets whose policies may measure their days differently), with bounds of its own.
 */
function spendSumsValues(
  walletId: string,
  keyId: string | null,
  now: Date,
  dayStarts: readonly Date[],
  countLastHour = true,
): unknown[] {
  // A policy without maxTxPerHour never reads the last hour's count, so its window is then
  // the empty one at `now`: its minute-bucket and first-minute ranges are empty (a wallet busy
  // all day otherwise read up to 59 minute buckets and a minute of its transfers for a count
  // nothing used).
  const hour = countLastHour
    ? boundsFrom(rateWindowStart(now))
    : { start: now, minute: now, hour: now };
  const days = dayStarts.map(boundsFrom);
  const hoursFrom = days.reduce((first, d) => (d.hour < first ? d.hour : first), hour.hour);
  const key = boundsFrom(new Date(now.getTime() - DAY_MS));
  return [
    walletId,
    hoursFrom,
    keyId,
    key.start,
    hour.start,
    hour.minute,
    hour.hour,
    key.minute,
    key.hour,
    ...days.flatMap((d) => [d.start, d.minute, d.hour]),
  ];
}

/** The reservation's (and approval's, and release's) sums: the policy's own window only. */
const SPEND_SUMS_SQL = spendSumsSql(1, '$3::uuid');

/**
 * Every kind of daily window, in the order the dry run's statement sums them (a Record first,
 * so a new kind cannot be left out here).
 */
const DAILY_WINDOWS = Object.keys({
  ROLLING_24H: true,
  UTC_DAY: true,
} satisfies Record<DailyWindow, true>) as DailyWindow[];

/** The dry run's one row: the wallet's policy, the key's cap, the freeze and the spend sums. */
type EvaluateRow = Partial<PolicyRow> & {
  has_policy: boolean;
  key_cap: string | null;
  frozen: FrozenScope | null;
  /** The spend-sum rows as JSON (the same fields as a {@link SpendRow}). */
  spend: SpendRow[] | null;
};

/**
 * The dry run's windows, read as the reservation reads its policy's: a daily window unless the
 * policy names another kind (the default's is read too: both when the policy names none, and
 * a UTC day adds no row to a rolling one's), the last hour only when the policy counts it
 * (`maxTxPerHour`). Conditions on the policy row `g` of {@link EVALUATE_SQL}; a wallet without
 * a policy reads no hour (it is refused without sums).
 */
const EVALUATE_GATES: WindowGates = {
  days: DAILY_WINDOWS.map((w) => `COALESCE((SELECT daily_window FROM g) = '${w}', true)`),
  hour: `COALESCE((SELECT counts_hour FROM g), false)`,
};

/**
 * The dry run's statement: {@link spendSumsSql} over every daily window as a CTE, next to what
 * the reservation's locking statement reads (without the locks); the windows its policy does
 * not use are skipped ({@link EVALUATE_GATES}). The key's branch sums only for a key with a
 * cap, as the reservation's does. $1–$n the sums' values, then the agent.
 */
const EVALUATE_SQL = `WITH k AS (
    SELECT id, daily_cap::text AS daily_cap FROM agent_keys
    WHERE id = $3::uuid AND daily_cap IS NOT NULL
  ), g AS (
    SELECT metadata ->> 'dailyWindow' AS daily_window,
           metadata -> 'maxTxPerHour' IS NOT NULL AS counts_hour
    FROM wallet_policies WHERE wallet_id = $1::uuid
  ), s AS (${spendSumsSql(DAILY_WINDOWS.length, '(SELECT id FROM k)', EVALUATE_GATES)})
  SELECT p.wallet_id IS NOT NULL AS has_policy, ${POLICY_COLUMNS},
         (SELECT daily_cap FROM k) AS key_cap,
         freeze_scope(w.id, $${spendSumsParamCount(DAILY_WINDOWS.length) + 1}::uuid) AS frozen,
         (SELECT json_agg(s) FROM s) AS spend
  FROM wallets w LEFT JOIN wallet_policies p ON p.wallet_id = w.id
  WHERE w.id = $1::uuid`;

/**
 * The types of {@link EVALUATE_SQL}'s placeholders, in order ({@link spendSumsValues}, then the
 * agent): the columns of {@link EVALUATE_BATCH_SQL}'s input.
 */
const EVALUATE_PARAM_TYPES = [
  'uuid', // wallet
  'timestamptz', // first hour bucket read
  'uuid', // capped key
  ...Array<string>(6).fill('timestamptz'), // the key's window start, the hour, the key's minute and hour
  ...DAILY_WINDOWS.flatMap(() => ['timestamptz', 'timestamptz', 'timestamptz']),
  'uuid', // agent
] as const;

/**
 * Several dry runs in one statement: {@link EVALUATE_SQL} for each row of its input (the
 * statement's placeholders become the row's columns), each result row numbered `n` as its
 * request (1-based); no row for a wallet that does not exist. `$k` is an array of every
 * request's k-th value.
 *
 * Why: under load the dry runs' round trips, not their statements, were the larger cost (a
 * round trip wakes a backend; its socket writes were about a third of the API's CPU for a dry
 * run). Gathered only while every connection is busy ({@link busyBatch}).
 */
const EVALUATE_BATCH_SQL = (() => {
  const placeholders = new Set(EVALUATE_SQL.match(/\$\d+/g));
  if (placeholders.size !== EVALUATE_PARAM_TYPES.length)
    throw new Error('EVALUATE_PARAM_TYPES does not match EVALUATE_SQL');
  const columns = EVALUATE_PARAM_TYPES.map((_, k) => `p${k + 1}`);
  const arrays = EVALUATE_PARAM_TYPES.map((type, k) => `$${k + 1}::${type}[]`);
  return `SELECT i.n::int AS n, e.*
    FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS i(${columns.join(', ')}, n)
    CROSS JOIN LATERAL (${EVALUATE_SQL.replace(/\$(\d+)/g, 'i.p$1')}) e`;
})();

/** Most dry runs in one batched statement. */
const EVALUATE_MAX_BATCH = 64;

/** What the spend-sum statement counted in one daily window. */
interface CountedSpend {
  byAsset: CountedByAsset[];
  /** Counting transfers in the last hour. */
  recent: number;
  /** The capped key's last 24 hours (SOL amounts and every fee); 0 without a cap. */
  keySpent: bigint;
}

/** Folds the statement's rows for daily window `day` (its index in the statement's windows). */
function foldSpendRows(rows: readonly SpendRow[], day: number): CountedSpend {
  let recent = 0;
  let keySpent = 0n;
  const byAsset: CountedByAsset[] = [];
  for (const row of rows) {
    if (row.by_key) {
      keySpent = BigInt(row.spent[0] ?? '0') + BigInt(row.fees[0] ?? '0');
      continue;
    }
    recent += row.recent;
    byAsset.push({
      asset: row.asset,
      amount: BigInt(row.spent[day] ?? '0'),
      fees: BigInt(row.fees[day] ?? '0'),
    });
  }
  return { byAsset, recent, keySpent };
}

function intentOf(request: TransferRequest) {
  return {
    asset: request.asset,
    amount: request.amount,
    to: request.destination,
    programs: request.programs ? [...request.programs] : undefined,
    fee: request.fee ?? 0n,
  };
}

/** A wallet without a policy: denied by default, nothing to sum. */
function judgeWithoutPolicy(request: TransferRequest): Decision {
  return evaluate(null, intentOf(request), {
    now: request.now,
    spentInWindow: { sol: 0n, tokens: {} },
    txCountLastHour: 0,
  });
}

/**
 * Sums what counts against the limits (see `spend-accounting.ts`) from the window's start, and
 * the last hour's transaction count, then evaluates. Cost does not grow with the wallet's
 * history: whole hours and minutes come from `spend_buckets` (kept by a trigger on
 * transactions), and only the window's partial first minute is read from the transactions
 * themselves (an index range of at most one minute on (wallet_id, created_at)). One statement.
 *
 * There is deliberately no upper bound on `created_at`: a request's `now` is taken before it
 * waits for the lock, so a reservation committed meanwhile by another process may carry a
 * later timestamp, and it must count all the same (the cross-process test caught exactly this).
 *
 * `exclude` (at approval: the transfer being approved) is counted by the sums like any other
 * and subtracted here.
 */
async function judge(
  sql: Sql,
  policy: Policy | null,
  request: TransferRequest,
  exclude: Transaction | null,
  keyCap: KeyCap,
): Promise<Decision> {
  if (!policy) return judgeWithoutPolicy(request);
  const { dayStart, statement } = sumsStatement(shapeOf(policy, request, keyCap), request);
  const rows = await sql.query<SpendRow>(statement.text, statement.values);
  return decide(policy, request, dayStart, foldSpendRows(rows, 0), exclude, keyCap);
}

/**
 * What a reservation's spend sums read, from the policy and the key: the policy's daily
 * window, the last hour only with `maxTxPerHour`, a key's last 24 hours only for a key with a
 * daily cap (otherwise those branches read nothing).
 */
interface SumsShape {
  dailyWindow: DailyWindow;
  countsHour: boolean;
  /** The capped key whose day is summed; null for none or a key without a cap. */
  keyId: string | null;
}

function shapeOf(policy: Policy, request: TransferRequest, keyCap: KeyCap): SumsShape {
  return {
    dailyWindow: policy.dailyWindow,
    countsHour: policy.maxTxPerHour !== null,
    keyId: keyCap === null ? null : (request.agentKeyId ?? null),
  };
}

function sameShape(a: SumsShape, b: SumsShape): boolean {
  return a.dailyWindow === b.dailyWindow && a.countsHour === b.countsHour && a.keyId === b.keyId;
}

/** The spend-sum statement of `shape` for `request`, and the start of the daily window it sums. */
function sumsStatement(
  shape: SumsShape,
  request: TransferRequest,
): { dayStart: Date; statement: SqlStatement } {
  const dayStart = windowStart(shape, request.now);
  const values = spendSumsValues(
    request.walletId,
    shape.keyId,
    request.now,
    [dayStart],
    shape.countsHour,
  );
  return { dayStart, statement: { text: SPEND_SUMS_SQL, values } };
}

/** The decision on sums counted from `dayStart`, `exclude` (if it still counts) taken out. */
function decide(
  policy: Policy,
  request: TransferRequest,
  dayStart: Date,
  spend: CountedSpend,
  exclude: Transaction | null,
  keyCap: KeyCap,
): Decision {
  const hourStart = rateWindowStart(request.now);
  const counted = [...spend.byAsset];
  let recent = spend.recent;
  if (exclude !== null && !NOT_COUNTING_STATUSES.includes(exclude.status as never)) {
    if (exclude.createdAt >= dayStart) {
      counted.push({
        asset: exclude.asset,
        amount: -BigInt(exclude.amount.toFixed(0)),
        fees: -BigInt(exclude.networkFee.toFixed(0)),
      });
    }
    // (Without maxTxPerHour the sums did not count the last hour: nothing to take out.)
    if (policy.maxTxPerHour !== null && exclude.createdAt >= hourStart) recent -= 1;
  }
  const { sol, tokens } = foldFees(counted);
  // spentSince lets the engine refuse a sum taken over the wrong window.
  return evaluate(policy, intentOf(request), {
    now: request.now,
    spentInWindow: { sol, tokens },
    txCountLastHour: recent,
    spentSince: dayStart,
    ...(keyCap === null ? {} : { keyCap: { limit: keyCap, spent: spend.keySpent } }),
  });
}

function signedColumns(signed: SignedTransfer) {
  return {
    signature: signed.signature,
    wireTransaction: signed.wireTransaction as Uint8Array<ArrayBuffer>,
    blockhash: signed.blockhash,
    lastValidBlockHeight: signed.lastValidBlockHeight,
  };
}

function requestOf(row: Transaction, now: Date): TransferRequest {
  return {
    walletId: row.walletId,
    agentId: row.agentId,
    agentKeyId: row.agentKeyId,
    idempotencyKey: row.idempotencyKey,
    asset: row.asset,
    amount: BigInt(row.amount.toFixed(0)),
    decimals: row.decimals,
    destination: row.destination,
    memo: row.memo,
    // Every transfer invokes at least the compute-budget program, so an empty list is a row
    // stored before programs were recorded: undeclared, which allowedPrograms refuses.
    ...(row.programs.length > 0 ? { programs: row.programs } : {}),
    fee: BigInt(row.networkFee.toFixed(0)),
    now,
  };
}

function transferPayload(request: TransferRequest) {
  return {
    asset: request.asset,
    amount: request.amount.toString(),
    fee: (request.fee ?? 0n).toString(),
    decimals: request.decimals,
    destination: request.destination,
    memo: request.memo,
  };
}

/** Decisions carry amounts as strings already; this only satisfies Prisma's JSON type. */
function toJson(decision: Decision): Prisma.InputJsonObject {
  return JSON.parse(JSON.stringify(decision)) as Prisma.InputJsonObject;
}

async function notifyPending(tx: TransactionClient, transactionId: string): Promise<void> {
  // NOTIFY inside the transaction is delivered on commit, never for a rolled-back row.
  await tx.$executeRaw`SELECT pg_notify(${PENDING_TRANSACTION_CHANNEL}, ${transactionId})`;
}

interface EventInsert {
  type: string;
  actorType: 'AGENT' | 'SYSTEM';
  actorId: string | null;
  ownerId: string;
  walletId: string;
  transactionId: string | null;
  payload: Record<string, unknown>;
  policyDecision: Decision;
}

/**
 * The row a reservation writes, built here rather than read back: every column is known before
 * the INSERT (id, timestamps and defaults included), so the caller's response can be stored in
 * the same statement.
 */
function newTransferRow(
  request: TransferRequest,
  signed: SignedTransfer | null,
  decision: Decision,
  policyVersion: number | null,
  approvalTtlMs: number,
  dueAt: Date | null,
): Transaction {
  const waitsForOwner = signed === null && dueAt === null;
  return {
    id: randomUUID(),
    walletId: request.walletId,
    agentId: request.agentId,
    agentKeyId: request.agentKeyId ?? null,
    idempotencyKey: request.idempotencyKey,
    signature: signed?.signature ?? null,
    type: 'TRANSFER' as const,
    amount: new Prisma.Decimal(request.amount.toString()),
    decimals: request.decimals,
    asset: request.asset,
    destination: request.destination,
    memo: request.memo,
    status: signed
      ? ('PENDING' as const)
      : dueAt !== null
        ? ('DELAYED' as const)
        : ('AWAITING_APPROVAL' as const),
    failureReason: null,
    errorMsg: null,
    wireTransaction: signed ? new Uint8Array(signed.wireTransaction) : null,
    blockhash: signed?.blockhash ?? null,
    lastValidBlockHeight: signed?.lastValidBlockHeight ?? null,
    submitAttempts: 0,
    lastSubmittedAt: null,
    slot: null,
    fee: null,
    networkFee: new Prisma.Decimal((request.fee ?? 0n).toString()),
    programs: request.programs ? [...request.programs] : [],
    policyOutcome: decision.outcome,
    policyDecision: toJson(decision) as Prisma.JsonObject,
    policyVersion,
    metadata: {},
    createdAt: request.now,
    updatedAt: request.now,
    submittedAt: null,
    confirmedAt: null,
    decidedAt: null,
    expiresAt: waitsForOwner ? new Date(request.now.getTime() + approvalTtlMs) : null,
    dueAt,
  } satisfies Record<keyof Transaction, unknown>;
}

/** The caller's idempotency record, written COMPLETED with the response for the outcome. */
type RecordWrite = Omit<ReservationReceipt, 'respond'> & { status: number; body: unknown };

/** {@link idempotencyRecordCte}'s values after a statement's own `$1…$offset`. */
function recordValues(record: RecordWrite | null, transactionId: string | null): unknown[] {
  return [
    record === null ? null : randomUUID(),
    record?.agentId ?? null,
    record?.key ?? null,
    record?.fingerprint ?? null,
    record?.status ?? null,
    record === null ? null : JSON.stringify(record.body ?? null),
    transactionId,
    record?.expiresAt ?? null,
    record?.staleBefore ?? null,
    record?.now ?? null,
  ];
}

/** {@link idempotencyRecordCte} with its values at `$offset+1…$offset+10`. */
function recordCte(offset: number): string {
  const $ = (i: number) => `$${offset + i}`;
  return idempotencyRecordCte({
    id: $(1),
    agentId: $(2),
    key: $(3),
    fingerprint: $(4),
    status: $(5),
    body: $(6),
    transactionId: $(7),
    now: $(10),
    expiresAt: $(8),
    staleBefore: $(9),
  });
}

/**
 * A denial's write, one statement: its `transfer.denied` event and the caller's idempotency
 * record. False (nothing written) when the key turned out to be held.
 */
/**
 * A denial's write, the reservation's last statement (committed with it: false when the key
 * turned out to be held, and then nothing was written).
 */
async function insertDenied(
  sql: TransactionSql,
  input: { event: EventInsert; record: RecordWrite | null },
): Promise<boolean> {
  const { event, record } = input;
  const rows = await sql.queryAndCommit<{ recorded: boolean }>(
    `WITH rec AS (${recordCte(8)}), e AS (
       INSERT INTO events (type, actor_type, actor_id, owner_id, wallet_id, transaction_id,
                           payload, policy_decision)
       SELECT $1, $2::"ActorType", $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7::jsonb, $8::jsonb
       WHERE $9::uuid IS NULL OR EXISTS (SELECT 1 FROM rec)
     )
     SELECT $9::uuid IS NULL OR EXISTS (SELECT 1 FROM rec) AS recorded`,
    [
      event.type,
      event.actorType,
      event.actorId,
      event.ownerId,
      event.walletId,
      event.transactionId,
      JSON.stringify(event.payload),
      JSON.stringify(event.policyDecision),
      ...recordValues(record, null),
    ],
  );
  return rows[0]!.recorded;
}

/**
 * The reservation's write, one statement: the caller's idempotency record, the transaction
 * row, its `transaction.created` event and, when signed, the worker's notification (delivered
 * on commit, never for a rolled-back row). The record comes first and the rest only with it:
 * false (nothing written) when the key turned out to be held. `last`: commit with it (nothing written
 * is then committed as nothing).
 */
async function insertTransfer(
  sql: TransactionSql,
  input: {
    transaction: Transaction;
    request: TransferRequest;
    actorType: 'AGENT' | 'SYSTEM';
    actorId: string | null;
    ownerId: string;
    record: RecordWrite | null;
    last: boolean;
  },
): Promise<boolean> {
  const { transaction: t, request, record } = input;
  const signed = t.wireTransaction !== null;
  const write = <R>(text: string, values: unknown[]) =>
    input.last ? sql.queryAndCommit<R>(text, values) : sql.query<R>(text, values);
  const rows = await write<{ recorded: boolean }>(
    `WITH rec AS (${recordCte(28)}), t AS (
       INSERT INTO transactions (
         id, wallet_id, agent_id, idempotency_key, type, amount, network_fee, programs, decimals,
         asset, destination, memo, status, signature, wire_transaction, blockhash,
         last_valid_block_height, policy_outcome, policy_decision, policy_version, created_at,
         updated_at, expires_at, agent_key_id, due_at)
       SELECT $1::uuid, $2::uuid, $3::uuid, $4, 'TRANSFER', $5::numeric, $6::numeric, $7::text[],
              $8::smallint, $9, $10, $11, $12::"TxStatus", $13, $14::bytea, $15, $16::bigint,
              $17::"PolicyOutcome", $18::jsonb, $19::int, $20::timestamptz, $20::timestamptz,
              $26::timestamptz, $27::uuid, $28::timestamptz
       WHERE $29::uuid IS NULL OR EXISTS (SELECT 1 FROM rec)
       RETURNING id, wallet_id
     ), e AS (
       INSERT INTO events (type, actor_type, actor_id, owner_id, wallet_id, transaction_id,
                           payload, policy_decision)
       SELECT 'transaction.created', $21::"ActorType", $3::uuid, $22::uuid, t.wallet_id, t.id,
              $23::jsonb, $18::jsonb
       FROM t
     ), n AS (
       SELECT pg_notify($24, t.id::text) FROM t WHERE $25::boolean
     )
     SELECT EXISTS (SELECT 1 FROM t) AS recorded, (SELECT count(*) FROM n) AS notified`,
    [
      t.id,
      t.walletId,
      t.agentId,
      t.idempotencyKey,
      t.amount.toFixed(0),
      t.networkFee.toFixed(0),
      t.programs,
      t.decimals,
      t.asset,
      t.destination,
      t.memo,
      t.status,
      t.signature,
      t.wireTransaction === null ? null : Buffer.from(t.wireTransaction),
      t.blockhash,
      t.lastValidBlockHeight === null ? null : t.lastValidBlockHeight.toString(),
      t.policyOutcome,
      JSON.stringify(t.policyDecision),
      t.policyVersion,
      t.createdAt,
      input.actorType,
      input.ownerId,
      JSON.stringify({ ...transferPayload(request), status: t.status, signature: t.signature }),
      PENDING_TRANSACTION_CHANNEL,
      signed,
      t.expiresAt,
      t.agentKeyId,
      t.dueAt,
      ...recordValues(record, t.id),
    ],
  );
  return rows[0]!.recorded;
}
