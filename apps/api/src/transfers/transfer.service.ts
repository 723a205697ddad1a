import { Inject, Injectable } from '@nestjs/common';
import {
  type IdempotencyBegin,
  IdempotencyRepository,
  isRepositoryError,
  isUniqueViolation,
  type PrismaClient,
  SpendRepository,
} from '@waiaas/database';
import {
  type Decision,
  describeReason,
  isPolicyEngineError,
  parseUiAmount,
  SOL_DECIMALS,
} from '@waiaas/policy-engine';
import type { MintInfo } from '@waiaas/solana-signer';
import type { AgentPrincipal, OwnerOrAgent } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import type { HttpContext } from '../common/http-context.js';
import { buildProblem } from '../common/problem.js';
import { PRISMA } from '../infra/tokens.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type TransactionResponseDto, toTransactionDto } from '../transactions/transaction.dto.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import { TransferSignerService } from './transfer-signer.service.js';
import type { EvaluationDto, TransferRequestDto } from './transfer.dto.js';
import { requestFingerprint } from './fingerprint.js';

/** Idempotency records are kept this long (the API promises replays for at least 24 h). */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An IN_PROGRESS record older than this, with no transaction behind it, belongs to a process
 * that died mid-request (a reservation holds its lock at most 20 s), so it may be taken over.
 */
const STALE_IN_PROGRESS_MS = 2 * 60 * 1000;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

interface Intent {
  asset: string | null;
  decimals: number;
  amount: bigint;
  mintInfo?: MintInfo;
}

/**
 * Runs a reservation again when it failed on a unique violation that is not `isKeyConflict`:
 * the only other unique column written is the signature, whose rare collisions
 * {@link TransferSignerService.sign} resolves with a new random compute-unit headroom.
 */
export async function retryOnSignatureCollision<T>(
  run: () => Promise<T>,
  isKeyConflict: () => Promise<boolean>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= 5 || (await isKeyConflict())) throw e;
    }
  }
}

/** Policy reasons as the API shows them: the engine's figures plus a human sentence. */
export function describeReasons(decision: Decision): unknown[] {
  return decision.reasons.map((r) => ({ ...r, message: describeReason(r) }));
}

@Injectable()
export class TransferService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SpendRepository) private readonly spend: SpendRepository,
    @Inject(IdempotencyRepository) private readonly idempotency: IdempotencyRepository,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
    @Inject(TransferSignerService) private readonly signer: TransferSignerService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  /**
   * POST /v1/wallets/:id/transfers. Validation failures write nothing; the first request with
   * a key claims it (unique insert), then the policy decision and, when allowed, signing and
   * the PENDING row happen in one database transaction under the wallet's lock. The response
   * (201, or the 403 denial) is stored so a retry with the same key gets the same answer.
   */
  async create(
    principal: AgentPrincipal,
    walletId: string,
    dto: TransferRequestDto,
    http: HttpContext,
  ): Promise<TransactionResponseDto> {
    const wallet = await this.access.require(principal, walletId);
    const key = this.idempotencyKey(http);
    const intent = await this.intent(dto);
    const fingerprint = requestFingerprint('POST', http.path, {
      to: dto.to,
      amount: dto.amount,
      mint: dto.mint,
      memo: dto.memo,
    });

    let begun = await this.idempotency.begin({
      agentId: principal.agentId,
      key,
      fingerprint,
      now: new Date(),
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
    if (begun.kind === 'in_progress')
      begun = await this.recoverInProgress(principal, key, fingerprint, begun);
    if (begun.kind === 'mismatch') {
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used with a different request body',
      );
    }
    if (begun.kind === 'in_progress') {
      throw new ApiError(
        'IDEMPOTENCY_REQUEST_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry shortly',
        {
          headers: { 'retry-after': '1' },
        },
      );
    }
    if (begun.kind === 'replay') return this.replay(begun, http);

    const recordId = begun.recordId;
    const request = {
      walletId,
      agentId: principal.agentId,
      idempotencyKey: key,
      asset: intent.asset,
      amount: intent.amount,
      decimals: intent.decimals,
      destination: dto.to,
      memo: dto.memo ?? null,
      programs: this.signer.programs({
        asset: intent.asset,
        memo: dto.memo ?? null,
        ...(intent.mintInfo ? { mintInfo: intent.mintInfo } : {}),
      }),
    };
    const sign = () =>
      this.signer.sign({
        from: wallet.address,
        to: dto.to,
        amount: intent.amount,
        asset: intent.asset,
        decimals: intent.decimals,
        memo: dto.memo ?? null,
        ...(intent.mintInfo ? { mintInfo: intent.mintInfo } : {}),
      });
    let result;
    try {
      result = await retryOnSignatureCollision(
        () => this.spend.reserveTransfer({ ...request, now: new Date() }, sign),
        () => this.keyHasTransaction(principal.agentId, key),
      );
    } catch (e) {
      // Nothing was decided or stored: let a retry with the same key run again.
      await this.idempotency.release(recordId);
      if (isUniqueViolation(e)) {
        throw new ApiError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for an earlier transfer',
        );
      }
      if (isRepositoryError(e, 'WALLET_NOT_FOUND'))
        throw new ApiError('NOT_FOUND', 'Wallet not found');
      throw e;
    }
    this.metrics.policyDecision(result.outcome, 'transfer');

    if (result.outcome === 'DENY') {
      const document = buildProblem({
        code: 'POLICY_DENIED',
        detail: `The wallet policy denies this transfer: ${result.decision.reasons.map((r) => r.code).join(', ')}`,
        instance: http.path,
        requestId: http.requestId,
        reasons: describeReasons(result.decision),
      });
      await this.idempotency.complete(recordId, {
        status: 403,
        body: document,
        transactionId: null,
        now: new Date(),
      });
      throw new ApiError('POLICY_DENIED', document.detail, { document });
    }
    const body: TransactionResponseDto = { transaction: toTransactionDto(result.transaction) };
    await this.idempotency.complete(recordId, {
      status: 201,
      body,
      transactionId: result.transaction.id,
      now: new Date(),
    });
    return body;
  }

  /** POST /v1/wallets/:id/transfers/evaluate: the decision right now; nothing signed or stored. */
  async evaluate(
    principal: OwnerOrAgent,
    walletId: string,
    dto: TransferRequestDto,
  ): Promise<EvaluationDto> {
    await this.access.require(principal, walletId);
    const intent = await this.intent(dto);
    const decision = await this.spend.evaluateTransfer({
      walletId,
      agentId: principal.kind === 'agent' ? principal.agentId : null,
      idempotencyKey: null,
      asset: intent.asset,
      amount: intent.amount,
      decimals: intent.decimals,
      destination: dto.to,
      memo: dto.memo ?? null,
      programs: this.signer.programs({
        asset: intent.asset,
        memo: dto.memo ?? null,
        ...(intent.mintInfo ? { mintInfo: intent.mintInfo } : {}),
      }),
      now: new Date(),
    });
    this.metrics.policyDecision(decision.outcome, 'evaluate');
    return {
      decision: { outcome: decision.outcome, reasons: describeReasons(decision) },
      asset: intent.asset,
      amountBaseUnits: intent.amount.toString(),
      decimals: intent.decimals,
    };
  }

  private async keyHasTransaction(agentId: string, key: string): Promise<boolean> {
    const row = await this.prisma.transaction.findUnique({
      where: { agentId_idempotencyKey: { agentId, idempotencyKey: key } },
      select: { id: true },
    });
    return row !== null;
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

  /** Asset, decimals (9 for SOL, the mint's from chain) and the exact amount in base units. */
  private async intent(dto: TransferRequestDto): Promise<Intent> {
    const mintInfo = dto.mint === undefined ? undefined : await this.signer.resolveMint(dto.mint);
    const decimals = mintInfo?.decimals ?? SOL_DECIMALS;
    try {
      const amount = parseUiAmount(dto.amount, decimals);
      return { asset: dto.mint ?? null, decimals, amount, ...(mintInfo ? { mintInfo } : {}) };
    } catch (e) {
      if (isPolicyEngineError(e)) {
        const code =
          e.code === 'AMOUNT_TOO_MANY_DECIMALS' ? 'AMOUNT_PRECISION_EXCEEDED' : 'AMOUNT_INVALID';
        throw new ApiError(code, e.message, {
          errors: [{ path: 'amount', code: e.code, message: e.message }],
        });
      }
      throw e;
    }
  }

  private replay(
    begun: Extract<IdempotencyBegin, { kind: 'replay' }>,
    http: HttpContext,
  ): TransactionResponseDto {
    http.setHeader('idempotent-replayed', 'true');
    if (begun.status === 201) return begun.body as TransactionResponseDto;
    const document = begun.body as Record<string, unknown> & { status: number };
    throw new ApiError(
      'POLICY_DENIED',
      typeof document.detail === 'string' ? document.detail : undefined,
      { document, headers: { 'idempotent-replayed': 'true' } },
    );
  }

  /**
   * A record left IN_PROGRESS: if its transaction exists (the process stopped between the
   * commit and storing the response) the response is rebuilt from it; if it is old and nothing
   * was stored, its process died before deciding, and this request takes the key over.
   */
  private async recoverInProgress(
    principal: AgentPrincipal,
    key: string,
    fingerprint: string,
    begun: Extract<IdempotencyBegin, { kind: 'in_progress' }>,
  ): Promise<IdempotencyBegin> {
    const existing = await this.prisma.transaction.findUnique({
      where: { agentId_idempotencyKey: { agentId: principal.agentId, idempotencyKey: key } },
    });
    if (existing !== null) {
      const body: TransactionResponseDto = { transaction: toTransactionDto(existing) };
      await this.idempotency.complete(begun.recordId, {
        status: 201,
        body,
        transactionId: existing.id,
        now: new Date(),
      });
      return {
        kind: 'replay',
        recordId: begun.recordId,
        status: 201,
        body,
        transactionId: existing.id,
      };
    }
    if (Date.now() - begun.startedAt.getTime() < STALE_IN_PROGRESS_MS) return begun;
    await this.idempotency.release(begun.recordId);
    return this.idempotency.begin({
      agentId: principal.agentId,
      key,
      fingerprint,
      now: new Date(),
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
  }
}
