/**
 * Owners (the `owners` table): creation, key rotation and revocation, each written together
 * with its audit event in one transaction. Rotation and revocation lock the owner row, so a
 * concurrent rotation and revocation are ordered: whichever comes second sees the first.
 */
import type { Owner, PrismaClient } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';
import { type EventActor, writeEvent } from './event.repository.js';

export interface NewOwner {
  email: string;
  name: string | null;
  apiKeyHash: string;
}

/** What a status change did; `retired` lists the key hashes that stopped working. */
export type OwnerStatusChange =
  | { kind: 'not_found' }
  | { kind: 'final' }
  | { kind: 'unchanged'; owner: Owner }
  | { kind: 'revoked'; owner: Owner; retired: { owner: string[]; agent: string[] } };

interface LockedOwner {
  status: string;
  api_key_hash: string;
}

async function lockOwner(tx: TransactionClient, ownerId: string): Promise<LockedOwner | undefined> {
  const rows = await tx.$queryRaw<LockedOwner[]>`
    SELECT status::text AS status, api_key_hash FROM owners WHERE id = ${ownerId}::uuid FOR UPDATE`;
  return rows[0];
}

/**
 * @example
 * ```ts
 * const owners = new OwnerRepository(prisma);
 * const owner = await owners.create({ email, name: null, apiKeyHash }, { type: 'OPERATOR', id: null });
 * const rotated = await owners.rotateKey(owner.id, newHash, { type: 'OWNER', id: owner.id });
 * ```
 */
export class OwnerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Inserts the owner and its `owner.created` event; a taken email is a unique violation. */
  create(owner: NewOwner, actor: EventActor): Promise<Owner> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.owner.create({ data: owner });
      await writeEvent(tx, actor, {
        type: 'owner.created',
        ownerId: row.id,
        payload: { email: row.email },
      });
      return row;
    });
  }

  /**
   * Replaces an ACTIVE owner's key hash; null when the owner is missing or revoked (the row
   * is locked, so a concurrent revocation either happens first, and this is refused, or after).
   */
  rotateKey(
    ownerId: string,
    apiKeyHash: string,
    actor: EventActor,
  ): Promise<{ owner: Owner; retiredHash: string } | null> {
    return this.prisma.$transaction(async (tx) => {
      const current = await lockOwner(tx, ownerId);
      if (current?.status !== 'ACTIVE') return null;
      const owner = await tx.owner.update({ where: { id: ownerId }, data: { apiKeyHash } });
      await writeEvent(tx, actor, { type: 'owner.key_rotated', ownerId });
      return { owner, retiredHash: current.api_key_hash };
    });
  }

  /**
   * Sets the owner's status. Revocation is final; asking for the status it already has
   * changes nothing. Revoking returns the owner's and its agents' key hashes.
   */
  setStatus(
    ownerId: string,
    status: 'ACTIVE' | 'REVOKED',
    actor: EventActor,
  ): Promise<OwnerStatusChange> {
    return this.prisma.$transaction(async (tx): Promise<OwnerStatusChange> => {
      const current = await lockOwner(tx, ownerId);
      if (current === undefined) return { kind: 'not_found' };
      if (current.status === status)
        return {
          kind: 'unchanged',
          owner: await tx.owner.findUniqueOrThrow({ where: { id: ownerId } }),
        };
      if (current.status === 'REVOKED') return { kind: 'final' };
      const owner = await tx.owner.update({ where: { id: ownerId }, data: { status: 'REVOKED' } });
      const agents = await tx.agent.findMany({ where: { ownerId }, select: { apiKeyHash: true } });
      await writeEvent(tx, actor, { type: 'owner.revoked', ownerId });
      return {
        kind: 'revoked',
        owner,
        retired: { owner: [current.api_key_hash], agent: agents.map((a) => a.apiKeyHash) },
      };
    });
  }
}
