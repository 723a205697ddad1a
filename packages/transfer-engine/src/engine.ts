/**
 * The one transfer engine: every transfer is created, evaluated, approved and rejected here,
 * so the request the policy judges, the programs and fee it counts, and the transaction that
 * is signed are built once, by one function, and stored together.
 *
 * Order of work for a transfer (the lock is the wallet row's, taken in SpendRepository, which
 * only this engine calls):
 * 1. before the lock: parse the amount, read the mint (cached), check the recipient (one RPC
 *    read for a SOL transfer), read what the sender holds (one RPC read, remembered for a
 *    second), plan programs and fee — a doomed transfer is refused here with a precise code and
 *    nothing is stored (a retry of a key that was used is replayed instead, see
 *    `idempotency.ts`) — and fetch a recent blockhash (shared, at most 2 s old);
 * 2. under the lock, in one database transaction: a completed record for the key answers a
 *    retry at once; otherwise the decision, then for an allowed transfer the check that the
 *    sender can pay amount + fee (INSUFFICIENT_FUNDS: rolled back, nothing stored), custody
 *    signing (no RPC: every chain fact is in hand), and one statement writing the idempotency
 *    record with its response, the transaction, its event and the worker's notification.
 */
import { randomInt } from 'node:crypto';
import type { Address, Rpc, SolanaRpcApi } from '@solana/kit';
import {
  type ApproveResult,
  IdempotencyKeyHeld,
  IdempotencyRepository,
  isRepositoryError,
  isUniqueViolation,
  type PrismaClient,
  type ReleaseResult,
  type ReserveResult,
  type SignedTransfer,
  SpendRepository,
  type SpendRepositoryOptions,
  type TransactionModel as Transaction,
  type TransferRequest,
} from '@waiaas/database';
import {
  type Decision,
  isPolicyEngineError,
  parseUiAmount,
  SOL_DECIMALS,
} from '@waiaas/policy-engine';
import {
  assertRecipientCanReceive,
  assertSenderCanPay,
  type BlockhashLifetime,
  buildTransfer,
  defaultComputeUnitLimit,
  type KeyCustody,
  type MintInfo,
  planTransfer,
  type SenderFunds,
  signTransfer,
  type TransferPlan,
  toAddress,
} from '@waiaas/solana-signer';
import { ChainCache, type ChainCacheOptions } from './chain-cache.js';
import { buildError, chainReadError, custodyError } from './classify.js';
import { TransferEngineError } from './errors.js';
import {
  type IdempotencyScope,
  type IdempotentResult,
  type StoredResponse,
  withIdempotency,
} from './idempotency.js';

/** A transfer as asked for: UI amount (decimal string), SOL unless `mint`. */
export interface TransferInput {
  walletId: string;
  /** The wallet's address (the sender, fee payer and signer). */
  from: string;
  /** The requesting agent; null for an owner's dry run. */
  agentId: string | null;
  /** The agent key it authenticated with (its daily cap, if any, applies; stored on the row). */
  agentKeyId?: string | null;
  to: string;
  amount: string;
  mint?: string | undefined;
  memo?: string | null | undefined;
}

/** Everything known about a transfer before the lock: the request the policy judges, and how to build it. */
export interface PreparedTransfer {
  request: Omit<TransferRequest, 'now' | 'idempotencyKey'>;
  from: string;
  mintInfo?: MintInfo;
  plan: TransferPlan;
  /** What the sender held when read (before the lock); judged at signing, after the policy. */
  funds: SenderFunds;
}

/** How the caller represents outcomes as stored responses (status + body) for replays. */
export interface ResponsePresenter {
  created(transaction: Transaction): StoredResponse;
  denied(decision: Decision): StoredResponse;
}

export interface TransferEngineDeps {
  prisma: PrismaClient;
  custody: KeyCustody;
  rpc: Rpc<SolanaRpcApi>;
  /** Defaults to one built on `prisma` with `spendOptions`. */
  spend?: SpendRepository;
  spendOptions?: SpendRepositoryOptions;
  idempotency?: IdempotencyRepository;
  chain?: ChainCache;
  chainOptions?: ChainCacheOptions;
  /** The decisions' clock (default: the system clock); tests pass their own instant. */
  clock?: () => Date;
}

/** Random compute-unit headroom: see {@link TransferEngine.sign}. */
const HEADROOM_UNITS = 65_536;

/**
 * Runs a reservation again when it failed on a unique violation that is not `isKeyConflict`:
 * the only other unique column written is the signature, whose rare collisions a new random
 * compute-unit headroom resolves.
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

/**
 * @example
 * ```ts
 * const engine = new TransferEngine({ prisma, custody, rpc });
 * const { decision } = await engine.evaluate({ walletId, from, agentId, to, amount: '0.5' });
 * ```
 */
export class TransferEngine {
  readonly spend: SpendRepository;
  readonly chain: ChainCache;
  private readonly prisma: PrismaClient;
  private readonly custody: KeyCustody;
  private readonly idempotency: IdempotencyRepository;
  private readonly clock: () => Date;

  constructor(deps: TransferEngineDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.prisma = deps.prisma;
    this.custody = deps.custody;
    this.spend = deps.spend ?? new SpendRepository(deps.prisma, deps.spendOptions);
    this.idempotency = deps.idempotency ?? new IdempotencyRepository(deps.prisma);
    this.chain = deps.chain ?? new ChainCache(deps.rpc, deps.chainOptions);
  }

  /**
   * Step 1, before any claim or lock: the request in base units, the programs and fee, and the
   * recipient and sender checks. Throws AMOUNT_INVALID, AMOUNT_PRECISION_EXCEEDED, MINT_NOT_FOUND,
   * RECIPIENT_IS_SENDER, RECIPIENT_IS_PROGRAM, RECIPIENT_BELOW_RENT_EXEMPTION, INSUFFICIENT_FUNDS,
   * RPC_UNAVAILABLE.
   */
  async prepare(input: TransferInput): Promise<PreparedTransfer> {
    const mint = input.mint;
    let mintInfo: MintInfo | undefined;
    if (mint !== undefined) {
      try {
        mintInfo = await this.chain.mint(mint);
      } catch (e) {
        throw chainReadError(e, mint);
      }
    }
    const decimals = mintInfo?.decimals ?? SOL_DECIMALS;
    const amount = parseAmount(input.amount, decimals);
    const kind = mint === undefined ? ('SOL' as const) : ('TOKEN' as const);
    const memo = input.memo ?? null;

    try {
      assertRecipientCanReceive({ from: input.from, to: input.to, kind, amount });
    } catch (e) {
      throw buildError(e);
    }
    // Read before the lock, together: whether the recipient exists (rent exemption) and is
    // not a program (SOL), and what the sender holds.
    let account;
    let funds;
    try {
      [account, funds] = await Promise.all([
        kind === 'SOL' ? this.chain.account(toAddress(input.to)) : undefined,
        this.senderFunds(input.from, mint, mintInfo),
      ]);
    } catch (e) {
      throw chainReadError(e);
    }
    if (account !== undefined) {
      try {
        assertRecipientCanReceive({ from: input.from, to: input.to, kind, amount, account });
      } catch (e) {
        throw buildError(e);
      }
    }

    const plan = planTransfer({
      kind,
      ...(mintInfo ? { tokenProgram: mintInfo.programAddress } : {}),
      memo: memo !== null,
      // The recipient's token account is always created idempotently: the instruction list
      // (hence the programs the policy judges) does not depend on a chain read, and nothing
      // has to be read under the lock. A no-op when the account exists.
      createsDestinationAta: kind === 'TOKEN',
      computeUnitLimit: baseComputeUnits(kind, memo),
      priorityFeeMicroLamports: 0n,
    });
    return {
      from: input.from,
      plan,
      funds,
      ...(mintInfo ? { mintInfo } : {}),
      request: {
        walletId: input.walletId,
        agentId: input.agentId,
        agentKeyId: input.agentKeyId ?? null,
        asset: mint ?? null,
        amount,
        decimals,
        destination: input.to,
        memo,
        programs: plan.programs,
        fee: plan.fee,
      },
    };
  }

  /** The decision right now; nothing signed or stored (no lock: a concurrent transfer may change it). */
  async evaluate(
    input: TransferInput,
  ): Promise<{ decision: Decision; prepared: PreparedTransfer }> {
    const prepared = await this.prepare(input);
    try {
      const decision = await this.spend.evaluateTransfer({
        ...prepared.request,
        idempotencyKey: null,
        now: this.clock(),
      });
      // What create would answer: an allowed transfer the wallet cannot pay is refused.
      if (decision.outcome === 'ALLOW') assertPreparedCanPay(prepared);
      return { decision, prepared };
    } catch (e) {
      throw repositoryError(e);
    }
  }

  /**
   * Creates a transfer once per idempotency key: ALLOW → signed, stored PENDING; REQUIRE_APPROVAL
   * → stored AWAITING_APPROVAL unsigned; DENY → nothing but an audit event. The response the
   * presenter makes of the outcome is stored and replayed for the same key.
   */
  async create(
    input: TransferInput & { agentId: string },
    scope: IdempotencyScope,
    present: ResponsePresenter,
  ): Promise<IdempotentResult<ReserveResult>> {
    return withIdempotency(
      { idempotency: this.idempotency, prisma: this.prisma },
      scope,
      (transaction) => present.created(transaction),
      async (receipt) => {
        // Inside the protocol: a retry of a transfer that was made is replayed even when
        // preparing it again would now fail (its own spend emptied the wallet, say).
        const prepared = await this.prepare(input);
        const lifetime = await this.lifetime();
        // Called by the reservation (to store it) and here (to answer): built once per outcome.
        const responses = new WeakMap<ReserveResult, StoredResponse>();
        const respond = (result: ReserveResult): StoredResponse => {
          let response = responses.get(result);
          if (response === undefined) {
            response =
              result.outcome === 'DENY'
                ? present.denied(result.decision)
                : present.created(result.transaction);
            responses.set(result, response);
          }
          return response;
        };
        let result: ReserveResult;
        try {
          result = await retryOnSignatureCollision(
            () =>
              this.spend.reserveTransfer(
                { ...prepared.request, idempotencyKey: scope.key, now: this.clock() },
                () => this.sign(prepared, lifetime),
                { ...receipt, respond },
              ),
            () => this.keyHasTransaction(scope.agentId, scope.key),
          );
        } catch (e) {
          if (e instanceof IdempotencyKeyHeld) throw e;
          if (isUniqueViolation(e)) {
            throw new TransferEngineError(
              'IDEMPOTENCY_KEY_REUSED',
              'This Idempotency-Key was already used for an earlier transfer',
            );
          }
          throw repositoryError(e);
        }
        return { response: respond(result), result };
      },
    );
  }

  /**
   * The owner approves an AWAITING_APPROVAL transfer: judged again now on the stored request
   * (programs and fee included); allowed → signed, PENDING; no longer allowed → FAILED/POLICY.
   */
  async approve(input: { transactionId: string; ownerId: string }): Promise<ApproveResult> {
    const pending = await this.prisma.transaction.findFirst({
      where: { id: input.transactionId, wallet: { ownerId: input.ownerId } },
      include: { wallet: { select: { address: true } } },
    });
    if (pending === null)
      throw new TransferEngineError('TRANSACTION_NOT_FOUND', 'Transaction not found');
    const prepared = await this.preparedOf(pending);
    const lifetime = await this.lifetime();
    try {
      return await retryOnSignatureCollision(
        () =>
          this.spend.approveTransfer(
            { transactionId: input.transactionId, ownerId: input.ownerId, now: this.clock() },
            () => this.sign(prepared, lifetime),
          ),
        () => Promise.resolve(false),
      );
    } catch (e) {
      throw repositoryError(e);
    }
  }

  /**
   * The owner cancels a DELAYED transfer before it is released: CANCELLED, never signed, and
   * its budget free at once. Throws TRANSACTION_NOT_FOUND and TRANSACTION_NOT_DELAYED.
   */
  async cancel(input: { transactionId: string; ownerId: string }): Promise<Transaction> {
    try {
      return await this.spend.cancelDelayedTransfer({ ...input, now: this.clock() });
    } catch (e) {
      throw repositoryError(e);
    }
  }

  /**
   * Releases up to `limit` DELAYED transfers that are due by the engine's clock: each is judged
   * again under its wallet's lock and signed with a fresh blockhash (PENDING), or ends
   * FAILED/POLICY. Safe to run in every API process at once: a transfer another releaser (or
   * a cancel) took first is skipped, never signed twice. A transfer that cannot be released
   * now (RPC or custody outage, or a wallet that can no longer pay: INSUFFICIENT_FUNDS) stays
   * DELAYED for the next call; `onError` hears about it.
   *
   * @example
   * ```ts
   * const released = await engine.releaseDue(100, (id, e) => log.warn({ id, err: e }));
   * ```
   */
  async releaseDue(
    limit: number,
    onError: (transactionId: string, error: unknown) => void = () => undefined,
  ): Promise<ReleaseResult[]> {
    const due = await this.spend.listDueDelayed(this.clock(), limit);
    if (due.length === 0) return [];
    const results: ReleaseResult[] = [];
    for (const row of due) {
      try {
        const prepared = await this.preparedOf(row);
        const lifetime = await this.lifetime();
        results.push(
          await retryOnSignatureCollision(
            () =>
              this.spend.releaseDelayed({ transactionId: row.id, now: this.clock() }, () =>
                this.sign(prepared, lifetime),
              ),
            () => Promise.resolve(false),
          ),
        );
      } catch (e) {
        onError(row.id, e);
      }
    }
    return results;
  }

  /** The owner rejects an AWAITING_APPROVAL transfer; it stops counting at once. */
  async reject(input: { transactionId: string; ownerId: string }): Promise<Transaction> {
    try {
      return await this.spend.rejectTransfer({ ...input, now: this.clock() });
    } catch (e) {
      throw repositoryError(e);
    }
  }

  /** What the sender holds (with the token account's balance for a token transfer). */
  private senderFunds(
    from: string,
    mint: string | undefined,
    mintInfo: MintInfo | undefined,
  ): Promise<SenderFunds> {
    return this.chain.senderFunds(
      toAddress(from),
      mint === undefined || mintInfo === undefined
        ? undefined
        : { mint: toAddress(mint), tokenProgram: mintInfo.programAddress },
    );
  }

  /** How to build a stored, unsigned transfer again (approval, release): its plan and request. */
  private async preparedOf(
    row: Transaction & { wallet: { address: string } },
  ): Promise<PreparedTransfer> {
    let mintInfo: MintInfo | undefined;
    if (row.asset !== null) {
      try {
        mintInfo = await this.chain.mint(row.asset);
      } catch (e) {
        throw chainReadError(e, row.asset);
      }
    }
    // The wallet may have been emptied while the transfer waited: judged again at signing
    // (refused, the transfer keeps waiting: the owner may top it up).
    let funds;
    try {
      funds = await this.senderFunds(row.wallet.address, row.asset ?? undefined, mintInfo);
    } catch (e) {
      throw chainReadError(e);
    }
    const kind = row.asset === null ? ('SOL' as const) : ('TOKEN' as const);
    return {
      from: row.wallet.address,
      funds,
      ...(mintInfo ? { mintInfo } : {}),
      plan: planTransfer({
        kind,
        ...(mintInfo ? { tokenProgram: mintInfo.programAddress } : {}),
        memo: row.memo !== null,
        createsDestinationAta: row.asset !== null,
        computeUnitLimit: baseComputeUnits(kind, row.memo),
        priorityFeeMicroLamports: 0n,
      }),
      request: {
        walletId: row.walletId,
        agentId: row.agentId,
        agentKeyId: row.agentKeyId,
        asset: row.asset,
        amount: BigInt(row.amount.toFixed(0)),
        decimals: row.decimals,
        destination: row.destination,
        memo: row.memo,
      },
    };
  }

  private async lifetime(): Promise<BlockhashLifetime> {
    try {
      return await this.chain.blockhash();
    } catch (e) {
      throw chainReadError(e);
    }
  }

  /**
   * Builds (no RPC: blockhash and mint are in hand) and signs, under the lock. Two requests for
   * the same amount to the same recipient under one blockhash would compile to identical
   * bytes, hence one signature: a random compute-unit headroom (free without a priority fee,
   * so the fee is unchanged) makes each distinct; a rare collision left is caught by the
   * signature's unique index and retried ({@link retryOnSignatureCollision}).
   */
  private async sign(
    prepared: PreparedTransfer,
    lifetime: BlockhashLifetime,
  ): Promise<SignedTransfer> {
    const { request } = prepared;
    // Only an allowed transfer is signed, so a policy denial is answered (and audited) first.
    assertPreparedCanPay(prepared);
    const kind = request.asset === null ? ('SOL' as const) : ('TOKEN' as const);
    let built;
    try {
      const common = {
        from: toAddress(prepared.from),
        to: toAddress(request.destination),
        amount: request.amount,
        computeUnitLimit: baseComputeUnits(kind, request.memo) + randomInt(0, HEADROOM_UNITS),
        lifetime,
        ...(request.memo === null ? {} : { memo: request.memo }),
      };
      built = await buildTransfer(
        request.asset === null || prepared.mintInfo === undefined
          ? { kind: 'SOL', ...common }
          : {
              kind: 'TOKEN',
              ...common,
              mint: toAddress(request.asset),
              expectedDecimals: request.decimals,
              mintInfo: prepared.mintInfo,
              createRecipientAta: 'always',
            },
      );
    } catch (e) {
      throw buildError(e);
    }
    if (
      built.plan.fee !== prepared.plan.fee ||
      !samePrograms(built.plan.programs, prepared.plan.programs)
    ) {
      // One function plans and builds; a difference is a bug, and signing it would spend
      // something other than what the policy judged.
      throw new Error('transfer-engine: the built transaction differs from its plan');
    }
    try {
      const signed = await signTransfer(built, this.custody);
      return {
        signature: signed.signature,
        wireTransaction: signed.wireBytes,
        blockhash: signed.blockhash,
        lastValidBlockHeight: signed.lastValidBlockHeight,
      };
    } catch (e) {
      throw custodyError(e);
    }
  }

  private async keyHasTransaction(agentId: string, key: string): Promise<boolean> {
    const row = await this.prisma.transaction.findUnique({
      where: { agentId_idempotencyKey: { agentId, idempotencyKey: key } },
      select: { id: true },
    });
    return row !== null;
  }
}

function baseComputeUnits(kind: 'SOL' | 'TOKEN', memo: string | null): number {
  return defaultComputeUnitLimit({
    kind,
    memoBytes: memo === null ? 0 : Buffer.byteLength(memo, 'utf8'),
    createsAta: kind === 'TOKEN',
  });
}

function samePrograms(a: readonly Address[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

function parseAmount(text: string, decimals: number): bigint {
  try {
    return parseUiAmount(text, decimals);
  } catch (e) {
    if (isPolicyEngineError(e)) {
      const code =
        e.code === 'AMOUNT_TOO_MANY_DECIMALS' ? 'AMOUNT_PRECISION_EXCEEDED' : 'AMOUNT_INVALID';
      throw new TransferEngineError(code, e.message, {
        issues: [{ path: 'amount', code: e.code, message: e.message }],
      });
    }
    throw e;
  }
}

const FROZEN_MESSAGES = {
  SERVICE: ['SERVICE_FROZEN', 'The operator has frozen the service: no transfer is accepted'],
  OWNER: ['OWNER_FROZEN', "The wallet's owner has frozen everything they own"],
  WALLET: ['WALLET_FROZEN', 'The owner has frozen this wallet'],
  AGENT: ['AGENT_FROZEN', 'The owner has frozen this agent'],
} as const;

function repositoryError(e: unknown): unknown {
  if (isRepositoryError(e, 'FROZEN')) {
    const [code, message] = FROZEN_MESSAGES[e.context.scope];
    return new TransferEngineError(code, message, { context: { scope: e.context.scope } });
  }
  if (isRepositoryError(e, 'WALLET_NOT_FOUND'))
    return new TransferEngineError('WALLET_NOT_FOUND', 'Wallet not found');
  if (isRepositoryError(e, 'TRANSACTION_NOT_FOUND'))
    return new TransferEngineError('TRANSACTION_NOT_FOUND', 'Transaction not found');
  if (isRepositoryError(e, 'TRANSACTION_NOT_AWAITING_APPROVAL') && e.context.status === 'EXPIRED')
    return new TransferEngineError(
      'APPROVAL_EXPIRED',
      'The approval request expired before the owner decided; the transfer is EXPIRED',
      { context: { status: 'EXPIRED' } },
    );
  if (isRepositoryError(e, 'TRANSACTION_NOT_DELAYED')) {
    return new TransferEngineError(
      'TRANSACTION_NOT_DELAYED',
      `The transaction is ${String(e.context.status)}, not DELAYED: only a delayed transfer can be cancelled`,
      { context: { status: e.context.status } },
    );
  }
  if (isRepositoryError(e, 'TRANSACTION_NOT_AWAITING_APPROVAL')) {
    return new TransferEngineError(
      'TRANSACTION_NOT_AWAITING_APPROVAL',
      `The transaction is ${String(e.context.status)}, not AWAITING_APPROVAL`,
      { context: { status: e.context.status } },
    );
  }
  return e;
}

/**
 * INSUFFICIENT_FUNDS (a client error, nothing stored) when the funds read before the lock
 * cannot pay amount + fee.
 */
function assertPreparedCanPay({ from, request, plan, funds }: PreparedTransfer): void {
  try {
    assertSenderCanPay({
      from,
      kind: request.asset === null ? 'SOL' : 'TOKEN',
      ...(request.asset === null ? {} : { mint: request.asset }),
      amount: request.amount,
      fee: plan.fee,
      funds,
    });
  } catch (e) {
    throw buildError(e);
  }
}
