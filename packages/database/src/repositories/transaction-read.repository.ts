/**
 * Reads of transfers (the `transactions` table) for the API: one transfer as a principal may
 * see it, and pages newest first with keyset pagination on (created_at, id). Writes belong to
 * the spend and worker repositories.
 */
import {
  Prisma,
  type PrismaClient,
  type Transaction,
  type TxStatus,
} from '../generated/prisma/client.js';
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
    const rows =
      'walletId' in scope
        ? await this.walletPage(scope.walletId, query)
        : await this.ownerPage(scope.ownerId, query);
    return { rows: rows.slice(0, query.limit), more: rows.length > query.limit };
  }

  /**
   * One wallet's: `limit + 1` rows down its `(wallet_id, created_at)` index, or its
   * `(wallet_id, status, created_at)` one when filtered by status.
   */
  private walletPage(walletId: string, query: TransactionPageQuery): Promise<Transaction[]> {
    const after = query.after ?? null;
    return this.prisma.transaction.findMany({
      where: {
        walletId,
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
  }

  /**
   * Every wallet of an owner's: the newest `limit + 1` of each wallet (the same index walk as
   * {@link walletPage}), merged. Written as SQL because the filter Prisma writes for a relation
   * (`wallet_id IN (the owner's wallets)`) gives PostgreSQL no ordered path across wallets: it
   * read every transaction of the owner and sorted them for each page (50,503 rows for a page
   * of an owner with one wallet of 50,000 transfers); this reads at most `limit + 1` per wallet
   * whatever the history. The page's rows are then read by id, in that order (as they are
   * then: a transfer whose status changed in between is shown with its new one).
   */
  private async ownerPage(ownerId: string, query: TransactionPageQuery): Promise<Transaction[]> {
    const take = query.limit + 1;
    const after = query.after ?? null;
    const conditions = [
      query.status === undefined
        ? Prisma.empty
        : Prisma.sql`AND t.status = ${query.status}::"TxStatus"`,
      after === null
        ? Prisma.empty
        : Prisma.sql`AND t.created_at <= ${after.createdAt}
                     AND (t.created_at < ${after.createdAt} OR t.id < ${after.id}::uuid)`,
    ];
    const ids = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT t.id
      FROM wallets w
      CROSS JOIN LATERAL (
        SELECT t.id, t.created_at
        FROM transactions t
        WHERE t.wallet_id = w.id ${Prisma.join(conditions, ' ')}
        ORDER BY t.created_at DESC, t.id DESC
        LIMIT ${take}
      ) t
      WHERE w.owner_id = ${ownerId}::uuid
      ORDER BY t.created_at DESC, t.id DESC
      LIMIT ${take}`;
    if (ids.length === 0) return [];
    const rows = await this.prisma.transaction.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((r) => byId.get(r.id) ?? []);
  }
}
