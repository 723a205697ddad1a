/**
 * Owner console sessions (the `console_sessions` table). The API keeps only hashes: the
 * cookie's session token and the owner key hash the session was made with. A
 * session is valid while it has not expired *and* the owner's key is still the one it was made
 * with, so rotating or replacing an owner key ends every console session at once, with no
 * bookkeeping in the code that rotates it.
 */
import type { PrismaClient } from '../generated/prisma/client.js';

/** A live session as the API needs it on every console request. */
export interface ConsoleSessionRecord {
  id: string;
  ownerId: string;
  createdAt: Date;
  expiresAt: Date;
}

/** What signing in stores (hashes only; the token itself goes to the browser once). */
export interface NewConsoleSession {
  ownerId: string;
  tokenHash: string;
  /** Hash of the owner key that signed in; the session dies when the owner's key changes. */
  ownerKeyHash: string;
  now: Date;
  expiresAt: Date;
}

interface SessionRow {
  id: string;
  owner_id: string;
  created_at: Date;
  expires_at: Date;
}

function toRecord(row: SessionRow): ConsoleSessionRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/**
 * @example
 * ```ts
 * const sessions = new ConsoleSessionRepository(prisma);
 * const created = await sessions.create({ ownerId, tokenHash, ownerKeyHash, now, expiresAt });
 * const live = await sessions.findValid(tokenHash, new Date()); // null once expired, deleted or the key changed
 * ```
 */
export class ConsoleSessionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Stores a session, but only if `ownerKeyHash` is still the owner's key (a key rotated
   * between authentication and this insert yields null, never a session for the new key).
   * The owner's expired sessions are removed in the same transaction, so the table stays small
   * without a sweeper.
   */
  async create(session: NewConsoleSession): Promise<ConsoleSessionRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        DELETE FROM console_sessions
        WHERE owner_id = ${session.ownerId}::uuid AND expires_at <= ${session.now}`;
      const rows = await tx.$queryRaw<SessionRow[]>`
        INSERT INTO console_sessions
          (id, owner_id, token_hash, owner_key_hash, created_at, expires_at)
        SELECT gen_random_uuid(), o.id, ${session.tokenHash}, o.api_key_hash, ${session.now},
               ${session.expiresAt}
        FROM owners o
        WHERE o.id = ${session.ownerId}::uuid AND o.api_key_hash = ${session.ownerKeyHash}
          AND o.status = 'ACTIVE'
        RETURNING id, owner_id, created_at, expires_at`;
      const row = rows[0];
      return row === undefined ? null : toRecord(row);
    });
  }

  /**
   * The session for this token hash if it has not expired, its owner key is unchanged and its
   * owner has not been revoked.
   */
  async findValid(tokenHash: string, now: Date): Promise<ConsoleSessionRecord | null> {
    const rows = await this.prisma.$queryRaw<SessionRow[]>`
      SELECT s.id, s.owner_id, s.created_at, s.expires_at
      FROM console_sessions s
      JOIN owners o ON o.id = s.owner_id AND o.api_key_hash = s.owner_key_hash
                    AND o.status = 'ACTIVE'
      WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now}`;
    const row = rows[0];
    return row === undefined ? null : toRecord(row);
  }

  /** Signs one session out; returns whether it existed. */
  async deleteByTokenHash(tokenHash: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      DELETE FROM console_sessions WHERE token_hash = ${tokenHash}`;
    return count > 0;
  }

  /** Ends every console session of an owner (e.g. when its key is revoked); returns how many. */
  deleteForOwner(ownerId: string): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM console_sessions WHERE owner_id = ${ownerId}::uuid`;
  }
}
