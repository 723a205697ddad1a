/**
 * Wallets (the `wallets` table) and their agent grants (`wallet_agents`): creation, listing
 * what a principal may see, granting and revoking agents, each write together with its audit
 * event in one transaction.
 */
import type { CustodyKind, PrismaClient, Wallet, WalletAgent } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';
import { type AuditEvent, type EventActor, writeEvent } from './event.repository.js';

/** The key custody made for a new wallet. */
export interface CustodyWallet {
  address: string;
  kind: CustodyKind;
  custodyRef: string | null;
}

/** One agent's access to one of its owner's wallets. */
export interface WalletGrant {
  ownerId: string;
  walletId: string;
  agentId: string;
}

function grantEvent(
  type: 'wallet.agent_granted' | 'wallet.agent_revoked',
  { ownerId, walletId, agentId }: WalletGrant,
): AuditEvent {
  return { type, ownerId, walletId, payload: { agentId } };
}

/**
 * Whose wallets: an owner's own, or those granted to an agent (only `walletIds` of them when
 * the agent's key is scoped; null or absent: every granted wallet).
 */
export type WalletViewer =
  { ownerId: string } | { agentId: string; walletIds?: readonly string[] | null };

/** Prisma `where` for the wallets `viewer` may see. */
export function visibleWallets(viewer: WalletViewer) {
  if ('ownerId' in viewer) return { ownerId: viewer.ownerId };
  const granted = { grants: { some: { agentId: viewer.agentId } } };
  return viewer.walletIds === null || viewer.walletIds === undefined
    ? granted
    : { ...granted, id: { in: [...viewer.walletIds] } };
}

/** A wallet with its granted agents' ids (only listed for an owner). */
export type ListedWallet = Wallet & { agentIds?: string[] };

/**
 * @example
 * ```ts
 * const wallets = new WalletRepository(prisma);
 * const wallet = await wallets.create({ ownerId, label: null }, async () => custodyWallet, actor);
 * await wallets.grant({ ownerId, walletId: wallet.id, agentId }, actor);
 * ```
 */
export class WalletRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Records a wallet. `custody` runs inside the wallet's transaction with its client, so a
   * key custody that lives in this database (the local keystore) writes its key row in the
   * same unit: a wallet insert that fails leaves no key behind.
   */
  create(
    wallet: { ownerId: string; label: string | null },
    custody: (tx: TransactionClient) => Promise<CustodyWallet>,
    actor: EventActor,
  ): Promise<Wallet> {
    return this.prisma.$transaction(async (tx) => {
      const created = await custody(tx);
      const row = await tx.wallet.create({
        data: {
          address: created.address,
          ownerId: wallet.ownerId,
          custody: created.kind,
          turnkeyWalletId: created.custodyRef,
          label: wallet.label,
        },
      });
      await writeEvent(tx, actor, {
        type: 'wallet.created',
        ownerId: wallet.ownerId,
        walletId: row.id,
        payload: { address: row.address, custody: row.custody },
      });
      return row;
    });
  }

  /** The wallets `viewer` may see, oldest first; an owner's come with their granted agents. */
  async listVisible(viewer: WalletViewer): Promise<ListedWallet[]> {
    if ('agentId' in viewer) {
      return this.prisma.wallet.findMany({
        where: visibleWallets(viewer),
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
    }
    const rows = await this.prisma.wallet.findMany({
      where: { ownerId: viewer.ownerId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      include: { grants: { select: { agentId: true } } },
    });
    return rows.map(({ grants, ...wallet }) => ({
      ...wallet,
      agentIds: grants.map((g) => g.agentId),
    }));
  }

  /** Grants `agentId` the wallet; granting twice returns the first grant and writes nothing. */
  grant(grant: WalletGrant, actor: EventActor): Promise<WalletAgent> {
    const { walletId, agentId } = grant;
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.walletAgent.findUnique({
        where: { walletId_agentId: { walletId, agentId } },
      });
      if (existing !== null) return existing;
      const row = await tx.walletAgent.create({ data: { walletId, agentId } });
      await writeEvent(tx, actor, grantEvent('wallet.agent_granted', grant));
      return row;
    });
  }

  /** Removes the owner's agent's grant; false when there was none. */
  revokeGrant(grant: WalletGrant, actor: EventActor): Promise<boolean> {
    const { ownerId, walletId, agentId } = grant;
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.walletAgent.deleteMany({
        where: { walletId, agentId, agent: { ownerId } },
      });
      if (count === 0) return false;
      await writeEvent(tx, actor, grantEvent('wallet.agent_revoked', grant));
      return true;
    });
  }
}
