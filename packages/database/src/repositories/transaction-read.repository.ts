/**
 * Reads of transfers (the `transactions` table) for the API: one transfer as a principal may
 * see it, and pages newest first with keyset pagination on (created_at, id). Writes belong to
 * the spend and worker repositories.
 */
import type { PrismaClient, Transaction, TxStatus } from '../generated/prisma/client.js';
import { visibleWallets, type WalletViewer } from './wallet.repository.js';

/** Which transfers a page covers: one wallet's, or every wallet of an owner. */
export type TransactionScope = { walletId: string } | { ownerId: string };

export interface TransactionPageQuery {
  limit: number;
  status?: TxStatus;
  /** The last row of the previous page: the page starts strictly after it. */
  after?: { createdAt: Date; id: string } | null;
}

/**
 * @example
 * ```ts
 * const reads = new TransactionReadRepository(prisma);
 * const { rows, more } = await reads.page({ walletId }, { limit: 50 });
 * const next = more ? await reads.page({ walletId }, { limit: 50, after: rows.at(-1) }) : null;
 * ```
 */
export class TransactionReadRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The transfer, if it belongs to a wallet `viewer` may see. */
  findVisible(viewer: WalletViewer, transactionId: string): Promise<Transaction | null> {
    return this.prisma.transaction.findFirst({
      where: { id: transactionId, wallet: visibleWallets(viewer) },
    });
  }

  /** Up to `limit` transfers newest first, and whether more follow. */
  async page(
    scope: TransactionScope,
    query: TransactionPageQuery,
  ): Promise<{ rows: Transaction[]; more: boolean }> {
    const after = query.after ?? null;
    const rows = await this.prisma.transaction.findMany({
      where: {
        ...('walletId' in scope
          ? { walletId: scope.walletId }
          : { wallet: { ownerId: scope.ownerId } }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(after === null
          ? {}
          : {
              OR: [
                { createdAt: { lt: after.createdAt } },
                { createdAt: after.createdAt, id: { lt: after.id } },
              ],
            }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    return { rows: rows.slice(0, query.limit), more: rows.length > query.limit };
  }
}
