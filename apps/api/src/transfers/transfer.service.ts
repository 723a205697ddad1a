import { Inject, Injectable } from '@nestjs/common';
import { type Decision, describeReason } from '@waiaas/policy-engine';
import { type ResponsePresenter, TransferEngine } from '@waiaas/transfer-engine';
import type { AgentPrincipal, OwnerOrAgent } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import type { HttpContext } from '../common/http-context.js';
import { buildProblem } from '../common/problem.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type TransactionResponseDto, toTransactionDto } from '../transactions/transaction.dto.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import { toApiError } from './engine-errors.js';
import type { EvaluationDto, TransferRequestDto } from './transfer.dto.js';
import { requestFingerprint } from './fingerprint.js';

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** Policy reasons as the API shows them: the engine's figures plus a human sentence. */
export function describeReasons(decision: Decision): unknown[] {
  return decision.reasons.map((r) => ({ ...r, message: describeReason(r) }));
}

/**
 * HTTP side of transfers: access, the Idempotency-Key header and the response shapes. The
 * transfer itself (checks, decision, signing, writes, idempotency) is the engine's.
 */
@Injectable()
export class TransferService {
  constructor(
    @Inject(TransferEngine) private readonly engine: TransferEngine,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  /**
   * POST /v1/wallets/:id/transfers: 201 with the transaction, or the 403 denial; either is
   * stored so a retry with the same key gets the same answer.
   */
  async create(
    principal: AgentPrincipal,
    walletId: string,
    dto: TransferRequestDto,
    http: HttpContext,
  ): Promise<TransactionResponseDto> {
    const wallet = await this.access.require(principal, walletId);
    const key = this.idempotencyKey(http);
    const fingerprint = requestFingerprint('POST', http.path, {
      to: dto.to,
      amount: dto.amount,
      mint: dto.mint,
      memo: dto.memo,
    });
    const present: ResponsePresenter = {
      created: (transaction) => ({
        status: 201,
        body: { transaction: toTransactionDto(transaction) } satisfies TransactionResponseDto,
      }),
      denied: (decision) => ({
        status: 403,
        body: buildProblem({
          code: 'POLICY_DENIED',
          detail: `The wallet policy denies this transfer: ${decision.reasons.map((r) => r.code).join(', ')}`,
          instance: http.path,
          requestId: http.requestId,
          reasons: describeReasons(decision),
        }),
      }),
    };
    let outcome;
    try {
      outcome = await this.engine.create(
        {
          walletId,
          from: wallet.address,
          agentId: principal.agentId,
          agentKeyId: principal.keyId,
          to: dto.to,
          amount: dto.amount,
          mint: dto.mint,
          memo: dto.memo ?? null,
        },
        { agentId: principal.agentId, key, fingerprint },
        present,
      );
    } catch (e) {
      throw toApiError(e);
    }
    if (outcome.replayed) http.setHeader('idempotent-replayed', 'true');
    else this.metrics.policyDecision(outcome.result.outcome, 'transfer');
    const { status, body } = outcome.response;
    if (status === 201) return body as TransactionResponseDto;
    const document = body as Record<string, unknown> & { status: number };
    throw new ApiError(
      'POLICY_DENIED',
      typeof document.detail === 'string' ? document.detail : undefined,
      {
        document,
        ...(outcome.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
      },
    );
  }

  /** POST /v1/wallets/:id/transfers/evaluate: the decision right now; nothing signed or stored. */
  async evaluate(
    principal: OwnerOrAgent,
    walletId: string,
    dto: TransferRequestDto,
  ): Promise<EvaluationDto> {
    const wallet = await this.access.require(principal, walletId);
    let evaluated;
    try {
      evaluated = await this.engine.evaluate({
        walletId,
        from: wallet.address,
        agentId: principal.kind === 'agent' ? principal.agentId : null,
        agentKeyId: principal.kind === 'agent' ? principal.keyId : null,
        to: dto.to,
        amount: dto.amount,
        mint: dto.mint,
        memo: dto.memo ?? null,
      });
    } catch (e) {
      throw toApiError(e);
    }
    const { decision, prepared } = evaluated;
    this.metrics.policyDecision(decision.outcome, 'evaluate');
    return {
      decision: { outcome: decision.outcome, reasons: describeReasons(decision) },
      asset: prepared.request.asset,
      amountBaseUnits: prepared.request.amount.toString(),
      decimals: prepared.request.decimals,
      networkFee: prepared.plan.fee.toString(),
    };
  }

  private idempotencyKey(http: HttpContext): string {
    const key = http.header('idempotency-key');
    if (key === undefined || key === '') {
      throw new ApiError(
        'IDEMPOTENCY_KEY_REQUIRED',
        'Send an Idempotency-Key header (a unique string per transfer, ≤ 255 characters)',
      );
    }
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError(
        'IDEMPOTENCY_KEY_INVALID',
        'The Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    return key;
  }
}
