/**
 * Plain SQL on the pools a Prisma client was built with, for the hot paths (a transfer's
 * reservation, the idempotency protocol, a dry run).
 *
 * Why not Prisma there: a statement through Prisma's query interpreter and interactive
 * transaction costs several times the CPU of the same statement through `pg` (measured with
 * `pnpm bench -- --profile`: Prisma's runtime was about half of the API's CPU during the
 * transfer run), and the API is CPU-bound on that path. Transactions run on Prisma's own pool,
 * autocommit statements on a companion pool with the same settings ({@link sqlPool});
 * `$disconnect()` ends both.
 *
 * Every other query stays on Prisma; code written against {@link Sql} runs on either (see
 * {@link sqlOf}), so a repository needs one implementation of a statement, not two.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PrismaClient } from './generated/prisma/client.js';
import type { TransactionClient } from './transaction-client.js';

/** One statement at a time, `$1…$n` placeholders, rows as `pg` parses them. */
export interface Sql {
  query<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

/** Where slow statements are reported (the same events Prisma's query log produces). */
export interface SlowSqlLog {
  thresholdMs: number;
  onSlowQuery: (event: { event: 'db_query_slow'; query: string; durationMs: number }) => void;
}

interface Registered {
  pool: pg.Pool;
  /** Where autocommit statements run: connections planning generically, or `pool`. */
  autocommit: pg.Pool;
  slow: SlowSqlLog | null;
  /** Parameterised statements run as named prepared statements (see {@link statementName}). */
  prepared: boolean;
}

const registry = new WeakMap<object, Registered>();

/** Remembers the pool under `client` (called by `createPrismaClient`). */
export function registerPool<C extends object>(
  client: C,
  pool: pg.Pool,
  slow: SlowSqlLog | null,
  prepared = true,
  autocommit: pg.Pool | null = null,
): C {
  registry.set(client, { pool, autocommit: autocommit ?? pool, slow, prepared });
  return client;
}

function registered(prisma: PrismaClient): Registered {
  const entry = registry.get(prisma);
  if (entry === undefined) {
    throw new Error('@waiaas/database: this Prisma client was not built by createPrismaClient');
  }
  return entry;
}

const names = new Map<string, string>();

/**
 * The prepared-statement name of a statement's text: the same text always gets the same name,
 * so each pooled connection parses and plans it once and then only binds and executes it.
 *
 * Why: the hot statements (the spend sums, the reservation's CTEs) are small to run but costly
 * to plan. Measured with pgbench on this schema, the spend-sum statement ran at about 4,200/s
 * re-planned each time and 21,000/s prepared (1.0 ms against 0.19 ms per statement). Names are
 * per connection in PostgreSQL; `pg` remembers which ones each connection has prepared.
 */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `waiaas_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

function timed(queryable: pg.Pool | pg.PoolClient, { slow, prepared }: Registered): Sql {
  const run = (text: string, values: readonly unknown[]) =>
    queryable.query(
      // Statements without values may hold several commands (`BEGIN; SET LOCAL …`), which only
      // the simple protocol accepts; they are cheap to plan anyway.
      prepared && values.length > 0
        ? { name: statementName(text), text, values: values as unknown[] }
        : { text, values: values as unknown[] },
    );
  return {
    async query<R>(text: string, values: readonly unknown[] = []): Promise<R[]> {
      if (slow === null) return (await run(text, values)).rows as R[];
      const started = performance.now();
      try {
        return (await run(text, values)).rows as R[];
      } finally {
        const durationMs = performance.now() - started;
        if (durationMs >= slow.thresholdMs)
          slow.onSlowQuery({ event: 'db_query_slow', query: text, durationMs });
      }
    },
  };
}

/**
 * Autocommit statements (each its own transaction) beside `prisma`'s pool: on connections of
 * their own that plan prepared statements generically, once per connection, as transactions
 * do (see {@link GENERIC_PLANS}). A dry run on a wallet whose statistics know a busy day was
 * otherwise planned again on every call: 627 against 3,100 dry runs/s on one connection.
 */
export function sqlPool(prisma: PrismaClient): Sql {
  const entry = registered(prisma);
  return timed(entry.autocommit, entry);
}

/** The same interface over Prisma (an interactive transaction's client, or the client itself). */
export function sqlOf(db: PrismaClient | TransactionClient): Sql {
  return {
    query: <R>(text: string, values: readonly unknown[] = []) =>
      db.$queryRawUnsafe<R[]>(text, ...values),
  };
}

/**
 * Appended to a transaction's BEGIN when statements are prepared: its statements run their
 * generic plan, planned once per connection. PostgreSQL otherwise plans a prepared statement
 * afresh with each call's values ("custom plans") for as long as those look cheaper than the
 * generic plan, and once `transactions` and `spend_buckets` have statistics of a wallet with
 * history they always did: with 20,000 transactions in a wallet's window, each of 30
 * reservations planned its spend sums again (`pg_prepared_statements`: 0 generic, 30 custom).
 * The generic plans of these statements read only a window's edges
 * (`spend-generic-plan.test.ts`), and the worker's claims still sort only narrow rows when
 * the planner sorts (`worker.repository.test.ts`). Not set on Prisma's connections for
 * good: its unnamed statements would be planned without their values too. Autocommit
 * statements ({@link sqlPool}) have connections of their own with it set for the session.
 */
const GENERIC_PLANS = '; SET LOCAL plan_cache_mode = force_generic_plan';

/** The same for a whole session: the autocommit pool's connections (`createPrismaClient`). */
export const GENERIC_PLANS_SETTING = 'SET plan_cache_mode = force_generic_plan';

export interface SqlTransactionOptions {
  /**
   * Longest the transaction may sit idle between statements (e.g. waiting on custody to sign
   * while it holds a row lock): PostgreSQL ends the session after it, which rolls back and
   * frees the lock. Default 20 s.
   */
  idleTimeoutMs?: number;
}

/**
 * Runs `work` in one transaction on a connection of `prisma`'s pool: committed when `work`
 * resolves, rolled back when it throws (and the connection discarded if it broke or the
 * rollback fails).
 */
export async function sqlTransaction<T>(
  prisma: PrismaClient,
  work: (sql: Sql) => Promise<T>,
  options: SqlTransactionOptions = {},
): Promise<T> {
  const entry = registered(prisma);
  const idleMs = Math.max(1, Math.trunc(options.idleTimeoutMs ?? 20_000));
  const client = await entry.pool.connect();
  // The pool stops listening for a connection's errors while it is checked out, so one that
  // ends between statements (the idle limit below, a server restart) would be thrown as an
  // unhandled 'error' event and take the process down. Remembered instead: the next statement
  // fails with it, and the connection is discarded on release.
  let broken: Error | undefined;
  const onConnectionError = (e: Error) => {
    broken ??= e;
  };
  client.on('error', onConnectionError);
  const statements = timed(client, entry);
  const sql: Sql = {
    query: <R>(text: string, values?: readonly unknown[]) =>
      statements.query<R>(text, values).catch((e: unknown) => {
        throw broken ?? e;
      }),
  };
  try {
    try {
      // One round trip: BEGIN and, for this transaction only, the session's idle limit and
      // (with prepared statements) generic plans: see GENERIC_PLANS.
      await sql.query(
        `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${idleMs}${entry.prepared ? GENERIC_PLANS : ''}`,
      );
    } catch (e) {
      broken ??= e as Error;
      throw e;
    }
    try {
      const result = await work(sql);
      await sql.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken ??= rollbackError as Error;
      });
      throw e;
    }
  } finally {
    client.removeListener('error', onConnectionError);
    client.release(broken);
  }
}
