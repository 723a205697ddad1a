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
