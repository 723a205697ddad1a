/**
 * The reads that authentication and wallet access are decided from (and that the API's
 * access cache is filled from): one statement each, so a key that does not authenticate
 * always costs the same single lookup, whatever the reason.
 */
import type { PrismaClient } from '../generated/prisma/client.js';

/** An owner's key record. */
export interface OwnerAccessRecord {
  id: string;
  status: 'ACTIVE' | 'REVOKED';
  /** SHA-256 (hex) of the owner's current key. */
  apiKeyHash: string;
}

/** A wallet row with the agents granted to it, in grant order. */
export interface WalletAccessRecord {
  id: string;
  address: string;
  ownerId: string;
  custody: 'TURNKEY' | 'LOCAL';
  turnkeyWalletId: string | null;
  label: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set while the owner has frozen this wallet (kill switch). */
  frozenAt: Date | null;
  agentIds: string[];
}

interface OwnerRow {
  id: string;
  status: OwnerAccessRecord['status'];
  api_key_hash: string;
}

interface WalletRow {
  id: string;
  address: string;
  owner_id: string;
  custody: WalletAccessRecord['custody'];
  turnkey_wallet_id: string | null;
  label: string | null;
  created_at: Date;
  updated_at: Date;
  frozen_at: Date | null;
  agent_ids: string[];
}

const toOwner = (row: OwnerRow): OwnerAccessRecord => ({
  id: row.id,
  status: row.status,
  apiKeyHash: row.api_key_hash,
});

/**
 * @example
 * ```ts
 * const access = new AccessRepository(prisma);
 * const owner = await access.ownerByKeyHash(sha256hex(key)); // null: no such key
 * const wallet = await access.walletWithGrants(walletId);     // null: no such wallet
 * ```
 */
export class AccessRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The owner whose current key hashes to `apiKeyHash`, or null. */
  async ownerByKeyHash(apiKeyHash: string): Promise<OwnerAccessRecord | null> {
    const rows = await this.prisma.$queryRaw<OwnerRow[]>`
      SELECT id::text, status::text, api_key_hash FROM owners WHERE api_key_hash = ${apiKeyHash}`;
    return rows[0] === undefined ? null : toOwner(rows[0]);
  }

  /** The owner `ownerId`, or null. */
  async ownerById(ownerId: string): Promise<OwnerAccessRecord | null> {
    const rows = await this.prisma.$queryRaw<OwnerRow[]>`
      SELECT id::text, status::text, api_key_hash FROM owners WHERE id = ${ownerId}::uuid`;
    return rows[0] === undefined ? null : toOwner(rows[0]);
  }

  /** The wallet `walletId` with its granted agents (oldest grant first), or null. */
  async walletWithGrants(walletId: string): Promise<WalletAccessRecord | null> {
    const rows = await this.prisma.$queryRaw<WalletRow[]>`
      SELECT w.id::text, w.address, w.owner_id::text, w.custody::text, w.turnkey_wallet_id,
             w.label, w.created_at, w.updated_at, w.frozen_at,
             COALESCE(array_agg(g.agent_id::text ORDER BY g.granted_at, g.agent_id)
                        FILTER (WHERE g.agent_id IS NOT NULL), '{}') AS agent_ids
      FROM wallets w LEFT JOIN wallet_agents g ON g.wallet_id = w.id
      WHERE w.id = ${walletId}::uuid
      GROUP BY w.id`;
    const row = rows[0];
    if (row === undefined) return null;
    return {
      id: row.id,
      address: row.address,
      ownerId: row.owner_id,
      custody: row.custody,
      turnkeyWalletId: row.turnkey_wallet_id,
      label: row.label,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      frozenAt: row.frozen_at,
      agentIds: row.agent_ids,
    };
  }
}
