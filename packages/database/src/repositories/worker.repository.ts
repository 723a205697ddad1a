/**
 * The confirmation worker's queries: claiming signed transactions and moving them forward.
 *
 * Claiming: `SELECT … FOR UPDATE SKIP LOCKED` inside a database transaction that stays open
 * while the worker acts on the rows (sends bytes, reads statuses) and records the outcome.
 * The row locks are the lease: no two replicas ever hold one row at once, a replica that
 * dies (crash, SIGKILL, lost connection) releases its rows with its connection, and no lease
 * column or reaper is needed. The price is one pooled connection per batch in flight, held
 * for the RPC round trips of that batch (bounded by the RPC timeout).
 *
 * Transitions only move forward: every UPDATE is conditional on the status the caller saw
 * (`WHERE status = 'PENDING'` / `'SUBMITTED'`), and the audit event plus its webhook
 * deliveries (the outbox) are written by the same statement, so a transition and its event
 * exist together or not at all.
 *
 * The claims and transitions are plain `pg` statements on Prisma's pool (see `sql.ts`), each a
 * fixed text with `$n` parameters, so every pooled connection plans it once: the worker runs
 * them in a loop, and Prisma's runtime was about a tenth of its CPU under the benchmark.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import { type Sql, sqlTransaction } from '../sql.js';

/**
 * A signed transaction claimed by the worker, with what it needs to send, track and expire it.
 *
 * @example
 * ```ts
 * await worker.withClaimedPending({ limit: 10, retryAfterMs: 2_000 }, async (rows: ClaimedTransaction[]) => {
 *   for (const row of rows) await send(row.wireTransaction);
 * });
 * ```
 */
export interface ClaimedTransaction {
  id: string;
  status: 'PENDING' | 'SUBMITTED';
  walletId: string;
  ownerId: string;
  /** Base58 signature: deterministic for the signed bytes. */
  signature: string;
  /** The signed wire bytes: every (re)broadcast sends exactly these. */
  wireTransaction: Uint8Array;
  blockhash: string;
  lastValidBlockHeight: bigint;
  submitAttempts: number;
  lastSubmittedAt: Date | null;
  createdAt: Date;
  /**
   * The network fee planned when it was built and signed (lamports); 0 for rows stored before
   * fees were planned. A landed transaction pays exactly this.
   */
  networkFee: bigint;
  /**
   * A freeze stops this transfer's scope (read by the claim's statement): a PENDING one is not
   * sent but cancelled ({@link ClaimUnit.markCancelled}), a SUBMITTED one is not rebroadcast
   * (only followed to its end).
   */
  frozen: boolean;
}

/**
 * A row that reached the configured commitment.
 *
 * @example
 * ```ts
 * await unit.markConfirmed([{ id, slot: 1234n, fee: 5000n } satisfies ConfirmedUpdate]);
 * ```
 */
export interface ConfirmedUpdate {
  id: string;
  slot: bigint;
  /** Lamports paid, from the transaction's meta. */
  fee: bigint | null;
}

/**
 * A row that ended FAILED; `reason` is a `FailureReason` the worker may set.
 *
 * @example
 * ```ts
 * await unit.markFailed([{ id, reason: 'EXPIRED', errorMsg: '{"lastValidBlockHeight":"150"}' } satisfies FailedUpdate]);
 * ```
 */
export interface FailedUpdate {
  id: string;
  reason: 'EXPIRED' | 'ON_CHAIN_ERROR' | 'RPC_REJECTED';
  /** Machine-readable detail (JSON text for on-chain errors). */
  errorMsg: string;
  /** Slot the failed transaction landed in (on-chain errors only). */
  slot?: bigint | null;
  fee?: bigint | null;
}

/**
 * What a transition statement did.
 *
 * @example
 * ```ts
 * const result: TransitionResult = await unit.markSubmitted(ids);
 * if (result.deliveries > 0) wakeWebhookLoop();
 * ```
 */
export interface TransitionResult {
  /** Ids that actually moved (rows already moved by someone else are absent). */
  moved: { id: string; walletAddress: string; destination: string }[];
  /** Webhook deliveries created for the events written. */
  deliveries: number;
}

/**
 * The transitions available while a claim is held; all run in the claim's transaction.
 *
 * @example
 * ```ts
 * await worker.withClaimedSubmitted({ limit: 256, afterId: null }, (rows, unit: ClaimUnit) => unit.recordAttempts(rows.map((r) => r.id)));
 * ```
 */
export interface ClaimUnit {
  /** PENDING → SUBMITTED after a send attempt the RPC accepted; counts the attempt; emits `transaction.submitted`. */
  markSubmitted(ids: readonly string[]): Promise<TransitionResult>;
  /**
   * PENDING → CANCELLED for rows found frozen at claim (never sent); emits
   * `transaction.cancelled` (the spend stops counting).
   */
  markCancelled(ids: readonly string[]): Promise<TransitionResult>;
  /** Counts a (re)broadcast attempt without changing the status. */
  recordAttempts(ids: readonly string[]): Promise<number>;
  /** SUBMITTED → CONFIRMED with slot and fee; emits `transaction.confirmed`. */
  markConfirmed(updates: readonly ConfirmedUpdate[]): Promise<TransitionResult>;
  /** SUBMITTED → FAILED with a reason; emits `transaction.failed` (the spend stops counting). */
  markFailed(updates: readonly FailedUpdate[]): Promise<TransitionResult>;
}

/**
 * @example
 * ```ts
 * const worker = new WorkerRepository(prisma, { transactionTimeoutMs: 60_000 } satisfies WorkerRepositoryOptions);
 * ```
 */
export interface WorkerRepositoryOptions {
  /**
   * Longest a claim may wait between two of its statements, e.g. on the RPC (default 60 s):
   * PostgreSQL then ends the session, which rolls back and frees the rows. Waiting for a
   * pooled connection is bounded by the pool's `connectionTimeoutMs`.
   */
  transactionTimeoutMs?: number;
}

interface ClaimRow {
  id: string;
  status: 'PENDING' | 'SUBMITTED';
  wallet_id: string;
  owner_id: string;
  signature: string;
  /** `pg` reads bytea as a Buffer. */
  wire_transaction: Buffer;
  blockhash: string;
  last_valid_block_height: string;
  submit_attempts: number;
  last_submitted_at: Date | null;
  created_at: Date;
  network_fee: string;
  frozen: boolean;
}

interface MovedRow {
  id: string;
  wallet_address: string;
  destination: string;
  deliveries: number;
}

const CLAIM_COLUMNS = `
  t.id::text AS id, t.status::text AS status, t.wallet_id::text AS wallet_id, w.owner_id::text AS owner_id,
  t.signature, t.wire_transaction, t.blockhash, t.last_valid_block_height::text AS last_valid_block_height,
  t.submit_attempts, t.last_submitted_at, t.created_at, t.network_fee::text AS network_fee,
  freeze_scope(t.wallet_id, t.agent_id) IS NOT NULL AS frozen`;

/**
 * A claim: `candidates` picks and locks the rows (SKIP LOCKED) carrying only their id and sort
 * key; the outer query reads the claimed rows' columns. Sorting narrow rows matters when the
 * planner sorts instead of walking the index in order, which it does when the statistics
 * predate a backlog: `auto_explain` caught a claim of 100 rows out of 11,883 PENDING sorting
 * every candidate with its signed bytes (7 MB, spilled to disk, 88 ms). The outer
 * `FOR UPDATE` re-reads rows this statement already holds, so the columns are those of the
 * version locked (as a one-level `SELECT … FOR UPDATE` returns), not of an older snapshot.
 */
function claim(candidates: string, order: string): string {
  return `
  WITH c AS (${candidates})
  SELECT ${CLAIM_COLUMNS}
  FROM c JOIN transactions t ON t.id = c.id JOIN wallets w ON w.id = t.wallet_id
  ORDER BY ${order}
  FOR UPDATE OF t`;
}

/** $1: seconds since the last send attempt; $2: limit. */
const CLAIM_PENDING = claim(
  `SELECT id, created_at FROM transactions
    WHERE status = 'PENDING'
      AND (last_submitted_at IS NULL
           OR last_submitted_at < clock_timestamp() - make_interval(secs => $1::float8))
    ORDER BY created_at
    LIMIT $2::int
    FOR UPDATE SKIP LOCKED`,
  'c.created_at',
);

/**
 * $1: limit; $2 (the `after` variant): the last id of the previous page. Pages run in
 * (created_at, id) order, the order of the (status, created_at) index, so a page is an index
 * walk from where the last one stopped. (They ran in id order: an `id > $2` page was a bitmap
 * of every later id in the table, a cost that grew with the whole history.)
 */
function claimSubmitted(after: string): string {
  return claim(
    `SELECT id, created_at FROM transactions
      WHERE status = 'SUBMITTED' ${after}
      ORDER BY created_at, id
      LIMIT $1::int
      FOR UPDATE SKIP LOCKED`,
    'c.created_at, c.id',
  );
}

/**
 * Two texts rather than `($2 IS NULL OR …)`: a prepared statement's generic plan cannot turn
 * that into an index range.
 */
const CLAIM_SUBMITTED_FIRST = claimSubmitted('');
const CLAIM_SUBMITTED_AFTER = claimSubmitted(
  'AND (created_at, id) > (SELECT created_at, id FROM transactions WHERE id = $2::uuid)',
);

/**
 * @example
 * ```ts
 * const worker = new WorkerRepository(prisma);
 * await worker.withClaimedPending({ limit: 50, retryAfterMs: 2_000 }, async (rows, unit) => {
 *   const sent = await sendAll(rows);          // the stored bytes, never re-signed
 *   await unit.markSubmitted(sent.map((r) => r.id));
 * });
 * ```
 */
export class WorkerRepository {
  private readonly idleTimeoutMs: number;

  constructor(
    private readonly prisma: PrismaClient,
    options: WorkerRepositoryOptions = {},
  ) {
    this.idleTimeoutMs = options.transactionTimeoutMs ?? 60_000;
  }

  /**
   * Claims up to `limit` PENDING rows (oldest first) that nobody else holds and that were not
   * attempted in the last `retryAfterMs`, runs `work` while holding them, and commits what
   * `work` recorded. `work` is not called when nothing was claimed. If `work` throws, the
   * transaction rolls back and the rows are free again (their bytes are safe to send again).
   */
  async withClaimedPending<T>(
    options: { limit: number; retryAfterMs: number },
    work: (rows: ClaimedTransaction[], unit: ClaimUnit) => Promise<T>,
  ): Promise<T | undefined> {
    return this.claimed(async (sql) => {
      const rows = await sql.query<ClaimRow>(CLAIM_PENDING, [
        options.retryAfterMs / 1000,
        options.limit,
      ]);
      if (rows.length === 0) return undefined;
      return work(rows.map(toClaimed), unitFor(sql));
    });
  }

  /**
   * Claims up to `limit` SUBMITTED rows after the row `afterId` in (created_at, id) order (so a
   * caller can walk every row in pages), runs `work` while holding them, and commits.
   * Returns `undefined` without calling `work` when the page is empty.
   */
  async withClaimedSubmitted<T>(
    options: { limit: number; afterId: string | null },
    work: (rows: ClaimedTransaction[], unit: ClaimUnit) => Promise<T>,
  ): Promise<{ lastId: string; count: number; result: T } | undefined> {
    return this.claimed(async (sql) => {
      const rows =
        options.afterId === null
          ? await sql.query<ClaimRow>(CLAIM_SUBMITTED_FIRST, [options.limit])
          : await sql.query<ClaimRow>(CLAIM_SUBMITTED_AFTER, [options.limit, options.afterId]);
      const last = rows[rows.length - 1];
      if (last === undefined) return undefined;
      const result = await work(rows.map(toClaimed), unitFor(sql));
      return { lastId: last.id, count: rows.length, result };
    });
  }

  /** One claim's transaction: its row locks are held until `work` resolves or throws. */
  private claimed<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return sqlTransaction(this.prisma, work, { idleTimeoutMs: this.idleTimeoutMs });
  }

  /**
   * Age in seconds of the oldest PENDING and SUBMITTED transaction (the worker's lag); 0 when
   * there is none.
   */
  async oldestAges(): Promise<{ PENDING: number; SUBMITTED: number }> {
    const rows = await this.prisma.$queryRaw<{ status: string; age: number }[]>`
      SELECT status::text AS status, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS age
      FROM transactions WHERE status IN ('PENDING', 'SUBMITTED') GROUP BY status`;
    const ages = { PENDING: 0, SUBMITTED: 0 };
    for (const row of rows)
      if (row.status === 'PENDING' || row.status === 'SUBMITTED')
        ages[row.status] = Number(row.age);
    return ages;
  }

  /** Addresses among `addresses` that are wallets of this service (for cache invalidation). */
  async ourWallets(addresses: readonly string[]): Promise<Set<string>> {
    if (addresses.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<{ address: string }[]>`
      SELECT address FROM wallets WHERE address = ANY(${[...addresses]}::text[])`;
    return new Set(rows.map((r) => r.address));
  }
}

function toClaimed(row: ClaimRow): ClaimedTransaction {
  return {
    id: row.id,
    status: row.status,
    walletId: row.wallet_id,
    ownerId: row.owner_id,
    signature: row.signature,
    // A plain Uint8Array over the same bytes, as callers had it from Prisma.
    wireTransaction: new Uint8Array(
      row.wire_transaction.buffer,
      row.wire_transaction.byteOffset,
      row.wire_transaction.byteLength,
    ),
    blockhash: row.blockhash,
    lastValidBlockHeight: BigInt(row.last_valid_block_height),
    submitAttempts: row.submit_attempts,
    lastSubmittedAt: row.last_submitted_at,
    createdAt: row.created_at,
    networkFee: BigInt(row.network_fee),
    frozen: row.frozen,
  };
}

/**
 * A transition statement: `moved` is the CTE that updates the rows and returns them, then the
 * event and its outbox rows. They are written by the same statement as the transition, through
 * data-modifying CTEs: PostgreSQL runs each of them exactly once, in one snapshot, so the event
 * exists if and only if the row moved. Built once per transition (a fixed text to prepare).
 */
function withOutbox(moved: string, eventType: string, payload: string): string {
  return `
    WITH ${moved},
    ev AS (
      INSERT INTO events (type, actor_type, owner_id, wallet_id, transaction_id, payload, created_at)
      SELECT '${eventType}', 'SYSTEM'::"ActorType", w.owner_id, m.wallet_id, m.id, ${payload}, clock_timestamp()
      FROM moved m JOIN wallets w ON w.id = m.wallet_id
      RETURNING id, owner_id
    ),
    dl AS (
      INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
      SELECT gen_random_uuid(), e.id, ev.id, 'PENDING'::"DeliveryStatus", 0, clock_timestamp(), clock_timestamp()
      FROM ev JOIN webhook_endpoints e ON e.owner_id = ev.owner_id AND e.enabled
      RETURNING id
    )
    SELECT m.id::text AS id, w.address AS wallet_address, m.destination, (SELECT count(*) FROM dl)::int AS deliveries
    FROM moved m JOIN wallets w ON w.id = m.wallet_id`;
}

const BASE_PAYLOAD = `'signature', m.signature, 'amount', m.amount::text, 'decimals', m.decimals,
  'asset', m.asset, 'destination', m.destination, 'submitAttempts', m.submit_attempts`;

/** $1: ids. */
const MARK_SUBMITTED = withOutbox(
  `moved AS (
    UPDATE transactions t
    SET status = 'SUBMITTED', submit_attempts = t.submit_attempts + 1,
        last_submitted_at = clock_timestamp(), submitted_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE t.id = ANY($1::uuid[]) AND t.status = 'PENDING'
    RETURNING t.*
  )`,
  'transaction.submitted',
  `jsonb_build_object('status', 'SUBMITTED', ${BASE_PAYLOAD})`,
);

/** $1: ids. */
const MARK_CANCELLED = withOutbox(
  `moved AS (
    UPDATE transactions t
    SET status = 'CANCELLED', decided_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE t.id = ANY($1::uuid[]) AND t.status = 'PENDING'
    RETURNING t.*
  )`,
  'transaction.cancelled',
  `jsonb_build_object('status', 'CANCELLED', 'previousStatus', 'PENDING', 'reason', 'FROZEN',
                     ${BASE_PAYLOAD})`,
);

/** $1: ids. */
const RECORD_ATTEMPTS = `
  WITH bumped AS (
    UPDATE transactions
    SET submit_attempts = submit_attempts + 1, last_submitted_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE id = ANY($1::uuid[]) AND status IN ('PENDING', 'SUBMITTED')
    RETURNING 1
  )
  SELECT count(*)::int AS n FROM bumped`;

/** $1: ids, $2: slots, $3: fees (null for unknown), one element per row. */
const MARK_CONFIRMED = withOutbox(
  `input AS (
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS i(id, slot, fee)
  ),
  moved AS (
    UPDATE transactions t
    SET status = 'CONFIRMED', slot = i.slot, fee = i.fee,
        confirmed_at = clock_timestamp(), updated_at = clock_timestamp()
    FROM input i
    WHERE t.id = i.id AND t.status = 'SUBMITTED'
    RETURNING t.*
  )`,
  'transaction.confirmed',
  `jsonb_build_object('status', 'CONFIRMED', ${BASE_PAYLOAD}, 'slot', m.slot::text, 'fee', m.fee::text,
                     'confirmedAt', m.confirmed_at)`,
);

/** $1: ids, $2: reasons, $3: error messages, $4: slots, $5: fees (nulls for unknown). */
const MARK_FAILED = withOutbox(
  `input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
      AS i(id, reason, error_msg, slot, fee)
  ),
  moved AS (
    UPDATE transactions t
    SET status = 'FAILED', failure_reason = i.reason::"FailureReason", error_msg = i.error_msg,
        slot = COALESCE(i.slot, t.slot), fee = COALESCE(i.fee, t.fee), updated_at = clock_timestamp()
    FROM input i
    WHERE t.id = i.id AND t.status = 'SUBMITTED'
    RETURNING t.*
  )`,
  'transaction.failed',
  `jsonb_build_object('status', 'FAILED', ${BASE_PAYLOAD}, 'failureReason', m.failure_reason::text,
                     'error', m.error_msg, 'slot', m.slot::text, 'fee', m.fee::text)`,
);

function toResult(rows: MovedRow[]): TransitionResult {
  return {
    moved: rows.map((r) => ({
      id: r.id,
      walletAddress: r.wallet_address,
      destination: r.destination,
    })),
    deliveries: rows[0]?.deliveries ?? 0,
  };
}

/** A bigint column's value as `pg` sends it (text), or null. */
function optionalBigint(value: bigint | null | undefined): string | null {
  return value === null || value === undefined ? null : value.toString();
}

function unitFor(sql: Sql): ClaimUnit {
  return {
    async markSubmitted(ids) {
      if (ids.length === 0) return { moved: [], deliveries: 0 };
      return toResult(await sql.query<MovedRow>(MARK_SUBMITTED, [ids]));
    },

    async markCancelled(ids) {
      if (ids.length === 0) return { moved: [], deliveries: 0 };
      return toResult(await sql.query<MovedRow>(MARK_CANCELLED, [ids]));
    },

    async recordAttempts(ids) {
      if (ids.length === 0) return 0;
      const [row] = await sql.query<{ n: number }>(RECORD_ATTEMPTS, [ids]);
      return row?.n ?? 0;
    },

    async markConfirmed(updates) {
      if (updates.length === 0) return { moved: [], deliveries: 0 };
      const rows = await sql.query<MovedRow>(MARK_CONFIRMED, [
        updates.map((u) => u.id),
        updates.map((u) => u.slot.toString()),
        updates.map((u) => optionalBigint(u.fee)),
      ]);
      return toResult(rows);
    },

    async markFailed(updates) {
      if (updates.length === 0) return { moved: [], deliveries: 0 };
      const rows = await sql.query<MovedRow>(MARK_FAILED, [
        updates.map((u) => u.id),
        updates.map((u) => u.reason),
        updates.map((u) => u.errorMsg),
        updates.map((u) => optionalBigint(u.slot)),
        updates.map((u) => optionalBigint(u.fee)),
      ]);
      return toResult(rows);
    },
  };
}
