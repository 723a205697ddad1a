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
import pg from 'pg';
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

/** A statement's query config: named (prepared) when it has values and statements are prepared. */
function configOf(text: string, values: readonly unknown[], prepared: boolean): pg.QueryConfig {
  // Statements without values may hold several commands (`BEGIN; SET LOCAL …`), which only
  // the simple protocol accepts; they are cheap to plan anyway.
  return prepared && values.length > 0
    ? { name: statementName(text), text, values: values as unknown[] }
    : { text, values: values as unknown[] };
}

/** Reports a round trip slower than the threshold (the same events Prisma's query log gives). */
async function reportSlow<T>(slow: SlowSqlLog | null, text: string, run: () => Promise<T>) {
  if (slow === null) return run();
  const started = performance.now();
  try {
    return await run();
  } finally {
    const durationMs = performance.now() - started;
    if (durationMs >= slow.thresholdMs)
      slow.onSlowQuery({ event: 'db_query_slow', query: text, durationMs });
  }
}

function timed(queryable: pg.Pool | pg.PoolClient, { slow, prepared }: Registered): Sql {
  return {
    async query<R>(text: string, values: readonly unknown[] = []): Promise<R[]> {
      const result = await reportSlow(slow, text, () =>
        queryable.query(configOf(text, values, prepared)),
      );
      return result.rows as R[];
    },
  };
}

/** The parts of `pg`'s connection a {@link PipelinedQuery} writes to (the ones `pg.Query` uses). */
interface ProtocolConnection {
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  execute(message: { portal: string; rows?: number }): void;
  sync(): void;
}

/** `pg.Query`'s own steps that {@link PipelinedQuery} extends (not in its type declarations). */
interface QuerySteps {
  prepare(connection: ProtocolConnection): void;
}

/** `pg.Query`'s error step (declared in its types with another signature). */
interface QueryErrors {
  handleError(error: Error, connection: ProtocolConnection): void;
}

/**
 * Statements with fixed commands before and after them (`BEGIN` and `SET LOCAL`s; `COMMIT`) in
 * a single round trip: the commands' Parse/Bind/Execute messages go out in the same write as the
 * statements' Bind/Describe/Execute, with one Sync at the end. PostgreSQL runs them in order,
 * each statement on a snapshot taken when it starts (READ COMMITTED), and, if one fails, skips
 * the rest up to the Sync: a statement that fails is never committed by a `COMMIT` after it (the
 * transaction is left aborted, for the caller's ROLLBACK), and the statements after it never run.
 *
 * Why hand-written: `pg` sends one statement per round trip and has no pipeline mode (proposed
 * upstream, not merged), and a round trip is the dearest part of a short statement here: each
 * one wakes a backend that went to sleep after its last answer (a transfer's five took about a
 * third of the API's CPU for it). This builds on `pg.Query` (the documented Submittable
 * interface), adding messages around its own: its result for the whole pipeline is a list with
 * one entry per command and statement, the first statement's at `before.length`.
 *
 * `pg` marks the query's named statement prepared on the connection at the first ParseComplete
 * it receives, whichever message that answers. So statements are only pipelined behind commands,
 * and only follow the first statement, once the connection has prepared them
 * ({@link preparedOn}): the following statements send no Parse, and the commands' Parse (the
 * unnamed statement) would otherwise be taken for the first statement's.
 */
class PipelinedQuery extends pg.Query {
  constructor(
    config: pg.QueryConfig,
    private readonly following: readonly FollowingStatement[],
    private readonly before: readonly string[],
    private readonly after: readonly string[],
  ) {
    super(config);
  }

  /** Why the first statement's values could not be bound (then it was not executed). */
  bindError: Error | undefined;
  private preparing = false;

  prepare(connection: ProtocolConnection): void {
    for (const text of this.before) sendCommand(connection, text);
    this.preparing = true;
    try {
      (pg.Query.prototype as unknown as QuerySteps).prepare.call(this, connection);
    } finally {
      this.preparing = false;
    }
    // `pg.Query.prepare` gives up on a value it cannot bind without a Sync, so the server would
    // never answer what was already written (the commands, a Parse) and the connection would
    // wait out its query timeout and be thrown away. The Sync ends the pipeline there: the
    // commands before it run, the statement does not, and the query fails with the bind error
    // ({@link pipelined}).
    if (this.bindError !== undefined) connection.sync();
  }

  /** A bind error while preparing is kept for the answer to the Sync; any other is pg's. */
  handleError(error: Error, connection: ProtocolConnection): void {
    if (this.preparing) {
      this.bindError = error;
      return;
    }
    (pg.Query.prototype as unknown as QueryErrors).handleError.call(this, error, connection);
  }

  /**
   * Called by `pg.Query.prepare` to execute the statement and end the pipeline. A following
   * statement whose values cannot be bound sends nothing; the pipeline then stops there and
   * sends no command after it (no COMMIT), and the query fails with that error
   * ({@link pipelined}).
   */
  _getRows(connection: ProtocolConnection): void {
    connection.execute({ portal: '' });
    for (const statement of this.following) {
      (pg.Query.prototype as unknown as QuerySteps).prepare.call(statement, connection);
      if (statement.bindError !== undefined) break;
    }
    if (this.following.every((s) => s.bindError === undefined))
      for (const text of this.after) sendCommand(connection, text);
    connection.sync();
  }
}

/**
 * A prepared statement after the first in a {@link PipelinedQuery}: `pg.Query`'s own Bind
 * (with its mapping of values) and Describe, then Execute without a Sync. Its answers reach the
 * pipeline's query, which collects them as its next result.
 */
class FollowingStatement extends pg.Query {
  /** Why its values could not be bound (then nothing of it was sent). */
  bindError: Error | undefined;

  /** Only called by `pg.Query.prepare`, when a value cannot be bound. */
  handleError(error: Error): void {
    this.bindError = error;
  }

  _getRows(connection: ProtocolConnection): void {
    connection.execute({ portal: '' });
  }
}

function sendCommand(connection: ProtocolConnection, text: string): void {
  connection.parse({ text, name: '', types: [] });
  connection.bind({ portal: '', statement: '', values: [] });
  connection.execute({ portal: '' });
}

/**
 * Whether `client`'s connection has prepared the named statement of `config` (`pg` keeps the
 * names it prepared on the connection). False when that cannot be read (then the statement is
 * not pipelined behind commands: correct, one round trip more).
 */
function preparedOn(client: pg.PoolClient, config: pg.QueryConfig): boolean {
  if (config.name === undefined) return true;
  const parsed = (client as unknown as { connection?: { parsedStatements?: unknown } }).connection
    ?.parsedStatements;
  return (
    typeof parsed === 'object' &&
    parsed !== null &&
    (parsed as Record<string, unknown>)[config.name] === config.text
  );
}

/**
 * How long the client waits for a pipeline's answer: its own query timeout for the first
 * statement that may wait (for a lock, a flush), plus the statement timeout for each other one.
 * PostgreSQL limits each statement separately, so statements sent together may take as long as
 * the same statements sent one by one, and the client must not give up sooner than it would on
 * those (a lock waited for and then sums read, each within its limit, are not a timeout).
 * `BEGIN` and `SET LOCAL` wait for nothing. Undefined: the connection's own (no statement limit).
 */
function pipelineTimeout(client: pg.PoolClient, waits: number): number | undefined {
  const { query_timeout: own, statement_timeout: each } = (
    client as unknown as {
      connectionParameters: { query_timeout?: unknown; statement_timeout?: unknown };
    }
  ).connectionParameters;
  if (typeof own !== 'number' || typeof each !== 'number' || each <= 0 || waits <= 1)
    return undefined;
  return own + (waits - 1) * each;
}

/**
 * Runs `before`, the statements and `after` in one round trip; resolves to each statement's
 * rows, in order.
 */
function pipelined(
  client: pg.PoolClient,
  configs: readonly pg.QueryConfig[],
  before: readonly string[],
  after: readonly string[],
): Promise<unknown[][]> {
  return new Promise<unknown[][]>((resolve, reject) => {
    const [first, ...rest] = configs;
    const following = rest.map((config) => new FollowingStatement(config));
    const query = new PipelinedQuery(first!, following, before, after);
    (query as unknown as { callback: (e: Error | undefined, r: unknown) => void }).callback = (
      error,
      results,
    ) => {
      const failure =
        error ?? query.bindError ?? following.find((s) => s.bindError !== undefined)?.bindError;
      if (failure !== undefined) reject(failure);
      else {
        // One result per command and statement (pg returns a bare result for one alone).
        const all = Array.isArray(results)
          ? (results as pg.QueryResult[])
          : [results as pg.QueryResult];
        resolve(configs.map((_, i): unknown[] => all[before.length + i]!.rows as unknown[]));
      }
    };
    const timeout = pipelineTimeout(client, configs.length + after.length);
    if (timeout !== undefined) (query as { query_timeout?: number }).query_timeout = timeout;
    void client.query(query);
  });
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

/** How many autocommit statements ({@link sqlPool}) can run at once: its pool's connections. */
export function sqlPoolSize(prisma: PrismaClient): number {
  return registered(prisma).autocommit.options.max;
}

/** The same interface over Prisma (an interactive transaction's client, or the client itself). */
export function sqlOf(db: PrismaClient | TransactionClient): Sql {
  return {
    query: <R>(text: string, values: readonly unknown[] = []) =>
      db.$queryRawUnsafe<R[]>(text, ...values),
  };
}

/**
 * Set with a transaction's BEGIN when statements are prepared: its statements run their
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
const GENERIC_PLANS = 'SET LOCAL plan_cache_mode = force_generic_plan';

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

/** The statements of one {@link sqlTransaction}. */
export interface TransactionSql extends Sql {
  /**
   * Runs the transaction's last statement and COMMIT in one round trip. What the statement
   * wrote commits whatever it returns, so use it only where the work commits on every answer
   * the statement can give (a write that wrote nothing commits nothing); nothing may run
   * after it. A statement that fails is not committed (the transaction rolls back as after
   * any error).
   */
  queryAndCommit<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /**
   * Runs two statements one after the other and resolves to both results, in one round trip
   * once the connection has prepared both (before that, in one each). The second starts when
   * the first has finished, on a snapshot of its own (READ COMMITTED): it sees what was
   * committed while the first waited for a lock, as if it had been sent after the first's
   * answer. If the first fails, the second does not run.
   */
  queryPair<A, B>(first: SqlStatement, second: SqlStatement): Promise<[A[], B[]]>;
}

/** A statement and its values, for {@link TransactionSql.queryPair}. */
export interface SqlStatement {
  text: string;
  values: readonly unknown[];
}

/**
 * Runs `work` in one transaction on a connection of `prisma`'s pool: committed when `work`
 * resolves (unless it committed with {@link TransactionSql.queryAndCommit}), rolled back when it
 * throws (and the connection discarded if it broke or the rollback fails).
 *
 * Round trips: BEGIN (with the transaction's settings) goes out with the first statement,
 * `queryPair` sends two statements together, and `queryAndCommit` sends COMMIT with the last
 * (see {@link PipelinedQuery}); a work that runs no statement sends nothing.
 */
export async function sqlTransaction<T>(
  prisma: PrismaClient,
  work: (sql: TransactionSql) => Promise<T>,
  options: SqlTransactionOptions = {},
): Promise<T> {
  const entry = registered(prisma);
  const idleMs = Math.max(1, Math.trunc(options.idleTimeoutMs ?? 20_000));
  // BEGIN and, for this transaction only, the session's idle limit and (with prepared
  // statements) generic plans: see GENERIC_PLANS.
  const begin = [
    'BEGIN',
    `SET LOCAL idle_in_transaction_session_timeout = ${idleMs}`,
    ...(entry.prepared ? [GENERIC_PLANS] : []),
  ];
  const client = await entry.pool.connect();
  // The pool stops listening for a connection's errors while it is checked out, so one that
  // ends between statements (the idle limit above, a server restart) would be thrown as an
  // unhandled 'error' event and take the process down. Remembered instead: the next statement
  // fails with it, and the connection is discarded on release.
  let broken: Error | undefined;
  const onConnectionError = (e: Error) => {
    broken ??= e;
  };
  client.on('error', onConnectionError);
  const statements = timed(client, entry);
  // 'idle': nothing sent yet; 'open': BEGIN sent (a failure then rolls back); 'committed'.
  const tx: { state: 'idle' | 'open' | 'committed' } = { state: 'idle' };
  const run = async (list: readonly SqlStatement[], commit: boolean): Promise<unknown[][]> => {
    if (tx.state === 'committed') throw new Error('sqlTransaction: a statement after the commit');
    const configs = list.map((s) => configOf(s.text, s.values, entry.prepared));
    // The pipeline needs the extended protocol (statements with values), and, behind BEGIN or
    // after another statement, named statements this connection has prepared (see
    // PipelinedQuery).
    const extended = list.every((s) => s.values.length > 0);
    const prepared = extended && configs.every((c) => preparedOn(client, c));
    if (list.length > 1 && !prepared) {
      // One round trip each until the connection has prepared them all.
      const results: unknown[][] = [];
      for (const [i, statement] of list.entries())
        results.push(...(await run([statement], commit && i === list.length - 1)));
      return results;
    }
    let before: readonly string[] = [];
    if (tx.state === 'idle') {
      tx.state = 'open';
      if (prepared) before = begin;
      else await statements.query(begin.join('; '));
    }
    const after = commit ? ['COMMIT'] : [];
    let results: unknown[][];
    // Every statement with values goes through the pipeline's query, even alone: it answers a
    // value that cannot be bound at once and keeps the connection (pg's own would wait out the
    // query timeout, see PipelinedQuery.prepare).
    if (extended) {
      const label = [...before, ...list.map((s) => s.text), ...after].join('; ');
      results = await reportSlow(entry.slow, label, () =>
        pipelined(client, configs, before, after),
      );
    } else {
      results = [await statements.query(list[0]!.text, list[0]!.values)];
      // A statement without values runs on the simple protocol, which shares no pipeline.
      if (commit) await statements.query('COMMIT');
    }
    if (commit) tx.state = 'committed';
    return results;
  };
  const fail = (e: unknown): never => {
    throw broken ?? e;
  };
  const one = async <R>(text: string, values: readonly unknown[], commit: boolean) =>
    (await run([{ text, values }], commit))[0] as R[];
  const sql: TransactionSql = {
    query: <R>(text: string, values: readonly unknown[] = []) =>
      one<R>(text, values, false).catch(fail),
    queryAndCommit: <R>(text: string, values: readonly unknown[] = []) =>
      one<R>(text, values, true).catch(fail),
    queryPair: async <A, B>(first: SqlStatement, second: SqlStatement) => {
      const [a, b] = await run([first, second], false).catch(fail);
      return [a as A[], b as B[]];
    },
  };
  try {
    try {
      const result = await work(sql);
      if (tx.state === 'open') await sql.query('COMMIT');
      return result;
    } catch (e) {
      if (tx.state === 'open') {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken ??= rollbackError as Error;
        });
      }
      throw e;
    }
  } finally {
    client.removeListener('error', onConnectionError);
    client.release(broken);
  }
}
