import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { type TransactionScope, TransactionReadRepository } from '@waiaas/database';
import { TransferEngine } from '@waiaas/transfer-engine';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import type { HttpContext } from '../common/http-context.js';
import { buildProblem } from '../common/problem.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { toApiError } from '../transfers/engine-errors.js';
import { describeReasons } from '../transfers/transfer.service.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import {
  type ListTransactionsQueryDto,
  type TransactionListDto,
  type TransactionResponseDto,
  toTransactionDto,
} from './transaction.dto.js';

interface Cursor {
  c: string;
  i: string;
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(
    JSON.stringify({ c: createdAt.toISOString(), i: id } satisfies Cursor),
  ).toString('base64url');
}

/**
 * The last row of the previous page, from a cursor this API wrote. Anything else is the client's
 * mistake (400), including what JavaScript accepts and PostgreSQL does not: an id that is not a
 * UUID, an instant outside the years 1–9999.
 */
function decodeCursor(text: string): { createdAt: Date; id: string } {
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
    const createdAt = new Date(String(raw.c));
    const year = createdAt.getUTCFullYear();
    if (typeof raw.i !== 'string' || !isUUID(raw.i) || !(year >= 1 && year <= 9999))
      throw new Error('bad');
    return { createdAt, id: raw.i };
  } catch {
    throw new ApiError('VALIDATION_FAILED', 'The cursor is not valid', {
      errors: [{ path: 'cursor', code: 'isCursor', message: 'cursor is not valid' }],
    });
  }
}

@Injectable()
export class TransactionService {
  constructor(
    @Inject(TransactionReadRepository) private readonly reads: TransactionReadRepository,
    @Inject(TransferEngine) private readonly engine: TransferEngine,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  async get(principal: OwnerOrAgent, transactionId: string): Promise<TransactionResponseDto> {
    const row = await this.reads.findVisible(this.access.viewer(principal), transactionId);
    if (row === null) throw new ApiError('NOT_FOUND', 'Transaction not found');
    return { transaction: toTransactionDto(row) };
  }

  /** Newest first; keyset pagination on (created_at, id) behind an opaque cursor. */
  async list(
    principal: OwnerOrAgent,
    walletId: string,
    query: ListTransactionsQueryDto,
  ): Promise<TransactionListDto> {
    await this.access.require(principal, walletId);
    return this.page({ walletId }, query);
  }

  /** Every transaction of the owner's wallets, newest first (same order and cursor as `list`). */
  listForOwner(
    principal: OwnerPrincipal,
    query: ListTransactionsQueryDto,
  ): Promise<TransactionListDto> {
    return this.page({ ownerId: principal.ownerId }, query);
  }

  private async page(
    scope: TransactionScope,
    query: ListTransactionsQueryDto,
  ): Promise<TransactionListDto> {
    const { rows, more } = await this.reads.page(scope, {
      limit: query.limit ?? 50,
      after: query.cursor === undefined ? null : decodeCursor(query.cursor),
      ...(query.status === undefined ? {} : { status: query.status }),
    });
    const last = rows[rows.length - 1];
    return {
      transactions: rows.map(toTransactionDto),
      nextCursor: more && last !== undefined ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /**
   * The owner approves: the policy is evaluated again now (this transfer's own reservation
   * excluded). Allowed → signed with a fresh blockhash, PENDING. No longer allowed → the
   * transfer becomes FAILED/POLICY and the answer is 403 POLICY_DENIED (with the transaction).
   */
  async approve(
    principal: OwnerPrincipal,
    transactionId: string,
    http: HttpContext,
  ): Promise<TransactionResponseDto> {
    let result;
    try {
      result = await this.engine.approve({ transactionId, ownerId: principal.ownerId });
    } catch (e) {
      throw toApiError(e);
    }
    this.metrics.policyDecision(result.outcome, 'approve');
    const transaction = toTransactionDto(result.transaction);
    if (result.outcome === 'DENY') {
      throw new ApiError(
        'POLICY_DENIED',
        'The policy no longer allows this transfer; it is now FAILED (POLICY)',
        {
          document: buildProblem({
            code: 'POLICY_DENIED',
            detail: `The policy no longer allows this transfer: ${result.decision.reasons.map((r) => r.code).join(', ')}; it is now FAILED`,
            instance: http.path,
            requestId: http.requestId,
            reasons: describeReasons(result.decision),
            extensions: { transaction },
          }),
        },
      );
    }
    return { transaction };
  }

  /** The owner cancels a DELAYED transfer: CANCELLED, never signed, its budget free at once. */
  async cancel(principal: OwnerPrincipal, transactionId: string): Promise<TransactionResponseDto> {
    try {
      const row = await this.engine.cancel({ transactionId, ownerId: principal.ownerId });
      return { transaction: toTransactionDto(row) };
    } catch (e) {
      throw toApiError(e);
    }
  }

  async reject(principal: OwnerPrincipal, transactionId: string): Promise<TransactionResponseDto> {
    try {
      const row = await this.engine.reject({ transactionId, ownerId: principal.ownerId });
      return { transaction: toTransactionDto(row) };
    } catch (e) {
      throw toApiError(e);
    }
  }
}
