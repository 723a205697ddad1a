import { Prisma } from './generated/prisma/client.js';

/** PostgreSQL SQLSTATEs a caller may retry the whole transaction on. */
const RETRIABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
]);

/**
 * The PostgreSQL SQLSTATE behind an error, whether it came through Prisma's driver adapter
 * (PrismaClientKnownRequestError.meta.driverAdapterError.cause.originalCode) or raw `pg`
 * (DatabaseError.code). Prisma's own P-codes are not SQLSTATEs and are never returned.
 */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const meta = error.meta as
      { driverAdapterError?: { cause?: { originalCode?: unknown } } } | undefined;
    const code = meta?.driverAdapterError?.cause?.originalCode;
    return typeof code === 'string' ? code : undefined;
  }
  const e = error as { code?: unknown; severity?: unknown; cause?: unknown };
  // pg's DatabaseError carries both a severity and a five-character SQLSTATE.
  if (typeof e.code === 'string' && typeof e.severity === 'string' && e.code.length === 5)
    return e.code;
  const cause = (e as { cause?: { originalCode?: unknown } }).cause;
  if (typeof cause?.originalCode === 'string') return cause.originalCode;
  if (e.cause !== undefined && e.cause !== error) return sqlState(e.cause);
  return undefined;
}

/**
 * True for a unique-constraint violation, from Prisma (P2002) or raw `pg` (23505).
 *
 * @example
 * ```ts
 * try { await prisma.owner.create({ data }); }
 * catch (e) { if (isUniqueViolation(e)) return conflict(); throw e; }
 * ```
 */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return true;
  return sqlState(error) === '23505';
}

/** True for a CHECK-constraint violation (23514). */
export function isCheckViolation(error: unknown): boolean {
  return sqlState(error) === '23514';
}

/** True for a foreign-key violation, from Prisma (P2003) or raw `pg` (23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  // Prisma also files other integrity errors (e.g. 23001 restrict_violation, raised by the
  // events table's append-only trigger) under P2003, so the SQLSTATE decides when present.
  const state = sqlState(error);
  if (state !== undefined) return state === '23503';
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}

/**
 * True when retrying the whole transaction may succeed: serialization failure, deadlock,
 * lock timeout (Prisma surfaces serialization conflicts as P2034).
 */
export function isRetriableError(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2034') return true;
  const state = sqlState(error);
  return state !== undefined && RETRIABLE_SQLSTATES.has(state);
}

/** Prisma codes that mean the server could not be reached or answered too late. */
const UNAVAILABLE_PRISMA_CODES = new Set([
  'P1001', // can't reach the database server
  'P1002', // the server was reached but timed out
  'P1008', // operations timed out
  'P1017', // the server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction API error (an interactive transaction that expired while waiting)
]);

/** Driver adapter error kinds (@prisma/adapter-pg) of the same nature. */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);

/** SQLSTATE classes/codes: connection exceptions, shutdown, insufficient resources, timeouts. */
function isUnavailableSqlState(state: string): boolean {
  return (
    state.startsWith('08') || // connection_exception
    state.startsWith('53') || // insufficient_resources (too_many_connections, out of memory)
    state === '57014' || // query_canceled: statement_timeout
    state === '57P01' || // admin_shutdown
    state === '57P02' || // crash_shutdown
    state === '57P03' // cannot_connect_now (starting up, recovering)
  );
}

/** Socket error codes of Node's net layer. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** `pg`'s own messages for a connection that failed, timed out or ended (plain Errors). */
const PG_UNAVAILABLE_MESSAGE =
  /^(Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/;

/**
 * True when `error` says the database could not be reached or did not answer in time
 * (connection refused, reset or terminated; pool or connect timeout; client-side query
 * timeout; statement timeout; server shutting down or out of connections), as opposed to a
 * query the database refused. Callers answer these as "unavailable, retry later" rather than
 * as a bug. Follows `cause` chains.
 *
 * @example
 * ```ts
 * try { await prisma.owner.count(); }
 * catch (e) { if (isDatabaseUnavailable(e)) return serviceUnavailable(); throw e; }
 * ```
 */
export function isDatabaseUnavailable(error: unknown, seen = new Set<unknown>()): boolean {
  if (typeof error !== 'object' || error === null || seen.has(error)) return false;
  seen.add(error);
  const e = error as {
    code?: unknown;
    message?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
    cause?: unknown;
  };
  if (
    (error instanceof Prisma.PrismaClientKnownRequestError ||
      error instanceof Prisma.PrismaClientInitializationError) &&
    typeof e.code === 'string' &&
    UNAVAILABLE_PRISMA_CODES.has(e.code)
  )
    return true;
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  if (typeof kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
  const state = sqlState(error);
  if (state !== undefined && isUnavailableSqlState(state)) return true;
  if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && PG_UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, seen);
}
