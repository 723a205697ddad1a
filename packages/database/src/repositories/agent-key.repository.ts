/**
 * An agent's API keys: the reads authentication is decided from (one statement each, so a key
 * that does not authenticate always costs the same single lookup), the owner's list, create
 * and revoke, and the throttled `last_used_at` write.
 */
import type { AgentKey, PrismaClient } from '../generated/prisma/client.js';
import type { AgentKeyScope } from '../generated/prisma/enums.js';
import type { TransactionClient } from '../transaction-client.js';

/** A key with its agent's and owner's standing: everything authentication needs. */
export interface AgentKeyAccessRecord {
  id: string;
  agentId: string;
  ownerId: string;
  /** SHA-256 (hex) of the key. */
  keyHash: string;
  scopes: AgentKeyScope[];
  /** The wallets the key is limited to, or null: every wallet granted to the agent. */
  walletIds: string[] | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  agentStatus: 'ACTIVE' | 'SUSPENDED' | 'REVOKED';
  ownerStatus: 'ACTIVE' | 'REVOKED';
}

/** A new key, as the owner asked for it. */
export interface NewAgentKey {
  ownerId: string;
  agentId: string;
  name: string;
  keyHash: string;
  scopes: AgentKeyScope[];
  /** null: every wallet granted to the agent. */
  walletIds: string[] | null;
  expiresAt: Date;
  /** Lamports of SOL cost the key may spend in a rolling 24 hours; null: no cap of its own. */
  dailyCap?: bigint | null;
}

/** Why a key could not be created (nothing was written). */
export type CreateAgentKeyRefusal =
  | { refused: 'AGENT_NOT_FOUND' }
  | { refused: 'AGENT_REVOKED' }
  | { refused: 'WALLETS_NOT_FOUND'; walletIds: string[] };

interface AccessRow {
  id: string;
  agent_id: string;
  owner_id: string;
  key_hash: string;
  scopes: AgentKeyScope[];
  wallet_ids: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  agent_status: AgentKeyAccessRecord['agentStatus'];
  owner_status: AgentKeyAccessRecord['ownerStatus'];
}

const toAccess = (row: AccessRow): AgentKeyAccessRecord => ({
  id: row.id,
  agentId: row.agent_id,
  ownerId: row.owner_id,
  keyHash: row.key_hash,
  scopes: row.scopes,
  walletIds: row.wallet_ids.length === 0 ? null : row.wallet_ids,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  agentStatus: row.agent_status,
  ownerStatus: row.owner_status,
});

/** Every key of an agent, primary first, then oldest first. */
const LIST_ORDER = [
  { primary: 'desc' as const },
  { createdAt: 'asc' as const },
  { id: 'asc' as const },
];

/**
 * @example
 * ```ts
 * const keys = new AgentKeyRepository(prisma);
 * const key = await keys.accessByHash(sha256hex(token)); // null: no such key
 * ```
 */
export class AgentKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The key hashing to `keyHash` (revoked and expired ones included), or null. */
  async accessByHash(keyHash: string): Promise<AgentKeyAccessRecord | null> {
    const rows = await this.prisma.$queryRaw<AccessRow[]>`
      SELECT k.id::text, k.agent_id::text, a.owner_id::text, k.key_hash,
             k.scopes::text[] AS scopes, k.wallet_ids::text[] AS wallet_ids,
             k.expires_at, k.revoked_at,
             a.status::text AS agent_status, o.status::text AS owner_status
      FROM agent_keys k JOIN agents a ON a.id = k.agent_id JOIN owners o ON o.id = a.owner_id
      WHERE k.key_hash = ${keyHash}`;
    return rows[0] === undefined ? null : toAccess(rows[0]);
  }

  /** The key `keyId`, or null. */
  async accessById(keyId: string): Promise<AgentKeyAccessRecord | null> {
    const rows = await this.prisma.$queryRaw<AccessRow[]>`
      SELECT k.id::text, k.agent_id::text, a.owner_id::text, k.key_hash,
             k.scopes::text[] AS scopes, k.wallet_ids::text[] AS wallet_ids,
             k.expires_at, k.revoked_at,
             a.status::text AS agent_status, o.status::text AS owner_status
      FROM agent_keys k JOIN agents a ON a.id = k.agent_id JOIN owners o ON o.id = a.owner_id
      WHERE k.id = ${keyId}::uuid`;
    return rows[0] === undefined ? null : toAccess(rows[0]);
  }

  /** Every key of `ownerId`'s agent `agentId` (primary first, then oldest first), or null. */
  async listForAgent(ownerId: string, agentId: string): Promise<AgentKey[] | null> {
    const agent = await this.prisma.agent.findFirst({
      where: { id: agentId, ownerId },
      select: { keys: { orderBy: LIST_ORDER } },
    });
    return agent === null ? null : agent.keys;
  }

  /**
   * Creates a key for `ownerId`'s agent, in one transaction with the event `audit` writes.
   * The agent row is locked so a concurrent revocation of the agent cannot interleave; every
   * listed wallet must be one of the owner's.
   */
  create(
    key: NewAgentKey,
    audit: (row: AgentKey, tx: TransactionClient) => Promise<void>,
  ): Promise<AgentKey | CreateAgentKeyRefusal> {
    return this.prisma.$transaction(async (tx) => {
      const agents = await tx.$queryRaw<{ status: string }[]>`
        SELECT status::text AS status FROM agents
        WHERE id = ${key.agentId}::uuid AND owner_id = ${key.ownerId}::uuid FOR UPDATE`;
      const agent = agents[0];
      if (agent === undefined) return { refused: 'AGENT_NOT_FOUND' as const };
      if (agent.status === 'REVOKED') return { refused: 'AGENT_REVOKED' as const };
      if (key.walletIds !== null) {
        const owned = await tx.wallet.findMany({
          where: { id: { in: key.walletIds }, ownerId: key.ownerId },
          select: { id: true },
        });
        const found = new Set(owned.map((w) => w.id));
        const missing = key.walletIds.filter((id) => !found.has(id));
        if (missing.length > 0)
          return { refused: 'WALLETS_NOT_FOUND' as const, walletIds: missing };
      }
      const row = await tx.agentKey.create({
        data: {
          agentId: key.agentId,
          name: key.name,
          keyHash: key.keyHash,
          scopes: key.scopes,
          walletIds: key.walletIds ?? [],
          expiresAt: key.expiresAt,
          dailyCap:
            key.dailyCap === undefined || key.dailyCap === null ? null : key.dailyCap.toString(),
        },
      });
      await audit(row, tx);
      return row;
    });
  }

  /**
   * Revokes `ownerId`'s agent's key `keyId` (a key already revoked stays as it was), in one
   * transaction with the event `audit` writes when it changed; null when there is no such key.
   */
  revoke(
    ownerId: string,
    agentId: string,
    keyId: string,
    audit: (row: AgentKey, tx: TransactionClient) => Promise<void>,
  ): Promise<{ row: AgentKey; changed: boolean } | null> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.agentKey.findFirst({
        where: { id: keyId, agentId, agent: { ownerId } },
      });
      if (current === null) return null;
      if (current.revokedAt !== null) return { row: current, changed: false };
      const row = await tx.agentKey.update({
        where: { id: keyId },
        data: { revokedAt: new Date() },
      });
      await audit(row, tx);
      return { row, changed: true };
    });
  }

  /**
   * Records that the keys were used now, where their `last_used_at` is unset or more than a
   * minute old: callers throttle per process, and this condition keeps several processes to
   * one write a minute per key.
   */
  async touchLastUsed(keyIds: readonly string[]): Promise<void> {
    if (keyIds.length === 0) return;
    await this.prisma.$executeRaw`
      UPDATE agent_keys SET last_used_at = now()
      WHERE id = ANY(${keyIds as string[]}::uuid[])
        AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
  }
}
