import {
  type Address,
  type Base64EncodedWireTransaction,
  type Blockhash,
  type FullySignedTransaction,
  type GetAccountInfoApi,
  type GetLatestBlockhashApi,
  type GetRecentPrioritizationFeesApi,
  type Instruction,
  type ReadonlyUint8Array,
  type Rpc,
  type Signature,
  type Transaction,
  type TransactionSigner,
  appendTransactionMessageInstructions,
  assertIsFullySignedTransaction,
  createNoopSigner,
  createTransactionMessage,
  fetchEncodedAccount,
  getBase64Decoder,
  getSignatureFromTransaction,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
} from '@solana/kit';
import {
  getSetComputeUnitLimitInstruction,
  getSetComputeUnitPriceInstruction,
} from '@solana-program/compute-budget';
import { LEGACY_MEMO_PROGRAM_ADDRESS_V3, getAddMemoInstruction } from '@solana-program/memo';
import { getTransferSolInstruction } from '@solana-program/system';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getTransferCheckedInstruction,
} from '@solana-program/token';
import { LRUCache } from 'lru-cache';
import { compileTransfer } from './compile.js';
import { type KeyCustody, signWithCustody } from './custody.js';
import { SignerError } from './errors.js';
import {
  type MintInfo,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  resolveMint,
} from './mint.js';
import { type TransferPlan, planTransfer } from './plan.js';
import { type PriorityFeeOption, estimatePriorityFee } from './priority-fee.js';
import { assertRecipientCanReceive } from './recipient.js';

/**
 * Memo program used by default: `MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr`, the SPL Memo
 * deployed on every cluster and bundled with LiteSVM and test validators.
 * `@solana-program/memo` 0.15 defaults to its newer `Memo4c2p…` program (which it calls
 * v4); pass it as `memoProgram` where it is deployed.
 *
 * @example
 * ```ts
 * await buildTransfer({ kind: 'SOL', from, to, amount, memo: 'hi' }, { rpc, memoProgram: DEFAULT_MEMO_PROGRAM_ADDRESS });
 * ```
 */
export const DEFAULT_MEMO_PROGRAM_ADDRESS: Address = LEGACY_MEMO_PROGRAM_ADDRESS_V3;

/**
 * Largest on-chain amount (u64).
 *
 * @example
 * ```ts
 * if (amount > U64_MAX) throw new Error('too large');
 * ```
 */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * A recent blockhash and the last block height at which a transaction using it can land.
 *
 * @example
 * ```ts
 * const { value: lifetime } = await rpc.getLatestBlockhash().send();
 * await buildTransfer({ kind: 'SOL', from, to, amount, lifetime });
 * ```
 */
export interface BlockhashLifetime {
  blockhash: Blockhash;
  lastValidBlockHeight: bigint;
}

/**
 * The RPC methods {@link buildTransfer} may call. `createRpc()` returns a superset.
 *
 * @example
 * ```ts
 * const rpc: TransferRpc = createRpc({ url });
 * ```
 */
export type TransferRpc = Rpc<
  GetLatestBlockhashApi & GetAccountInfoApi & GetRecentPrioritizationFeesApi
>;

interface TransferParamsBase {
  /** The sending wallet; it also pays the fee and signs. */
  from: Address;
  /** The recipient wallet (for tokens: the owner of the destination token account). */
  to: Address;
  /** Amount in base units (lamports, or token base units): 1 ≤ amount ≤ u64 max. */
  amount: bigint;
  /** Optional memo (SPL Memo program), UTF-8. */
  memo?: string;
  /** Compute-unit limit; defaults to a per-kind budget ({@link defaultComputeUnitLimit}). */
  computeUnitLimit?: number;
  /** Priority fee; none when omitted. */
  priorityFee?: PriorityFeeOption;
  /** Blockhash to use instead of asking the RPC for the latest one. */
  lifetime?: BlockhashLifetime;
}

/**
 * A SOL transfer (System program).
 *
 * @example
 * ```ts
 * const params: SolTransferParams = { kind: 'SOL', from, to, amount: 1_000_000_000n };
 * ```
 */
export interface SolTransferParams extends TransferParamsBase {
  kind: 'SOL';
}

/**
 * An SPL Token or Token-2022 transfer (`transferChecked`) between associated token accounts.
 *
 * @example
 * ```ts
 * const params: TokenTransferParams = { kind: 'TOKEN', from, to, mint, amount: 2_500_000n, expectedDecimals: 6 };
 * ```
 */
export interface TokenTransferParams extends TransferParamsBase {
  kind: 'TOKEN';
  mint: Address;
  /** Mint program and decimals if already known (see `resolveMint`); otherwise fetched. */
  mintInfo?: MintInfo;
  /** Decimals the caller expects; a mismatch with the mint is an `INVALID_TRANSFER`. */
  expectedDecimals?: number;
  /**
   * Whether to create the recipient's associated token account (idempotently):
   * `'auto'` (default) when the RPC says it does not exist, `'always'`, or `'never'`.
   */
  createRecipientAta?: 'auto' | 'always' | 'never';
}

/**
 * What {@link buildTransfer} builds.
 *
 * @example
 * ```ts
 * const params: TransferParams = dto.mint ? { kind: 'TOKEN', from, to, mint: dto.mint, amount } : { kind: 'SOL', from, to, amount };
 * ```
 */
export type TransferParams = SolTransferParams | TokenTransferParams;

/**
 * A compiled, unsigned transfer: the exact message bytes custody signs, and its lifetime.
 *
 * @example
 * ```ts
 * const built: BuiltTransfer = await buildTransfer(params, { rpc });
 * built.lastValidBlockHeight; // record before signing
 * ```
 */
export interface BuiltTransfer {
  kind: TransferParams['kind'];
  /** Fee payer and only signer (the sending wallet). */
  feePayer: Address;
  /** Compiled transaction with an empty signature slot for the fee payer. */
  transaction: Transaction;
  /** The message bytes to sign (same as `transaction.messageBytes`). */
  messageBytes: ReadonlyUint8Array;
  blockhash: Blockhash;
  lastValidBlockHeight: bigint;
  computeUnitLimit: number;
  /** Price per compute unit in micro-lamports (0 when no priority fee). */
  priorityFeeMicroLamports: bigint;
  /** Programs the instructions invoke and the exact network fee ({@link planTransfer}). */
  plan: TransferPlan;
  /** For token transfers: mint facts and the token accounts used. */
  token?: {
    mint: MintInfo;
    sourceAta: Address;
    destinationAta: Address;
    createsDestinationAta: boolean;
  };
}

/**
 * A signed transfer, ready to record and send.
 *
 * @example
 * ```ts
 * const { signature, wireBase64, lastValidBlockHeight }: SignedTransfer = await signTransfer(built, custody);
 * ```
 */
export interface SignedTransfer {
  /** Transaction id: the fee payer's signature, base58. Known before anything is sent. */
  signature: Signature;
  /** Wire bytes, base64 (what `sendTransaction` takes with `encoding: 'base64'`). */
  wireBase64: Base64EncodedWireTransaction;
  /** Wire bytes (store these to rebroadcast the same transaction). */
  wireBytes: Uint8Array;
  transaction: FullySignedTransaction & Transaction;
  blockhash: Blockhash;
  lastValidBlockHeight: bigint;
}

/**
 * Options for {@link buildTransfer}.
 *
 * @example
 * ```ts
 * await buildTransfer(params, { rpc, abortSignal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface BuildTransferOptions {
  /** Needed unless `lifetime`, `mintInfo`, a fixed priority fee and `createRecipientAta: 'always' | 'never'` are all given. */
  rpc?: TransferRpc;
  abortSignal?: AbortSignal;
  /** Memo program for `memo` (default {@link DEFAULT_MEMO_PROGRAM_ADDRESS}). */
  memoProgram?: Address;
}

// Compute-unit budgets, measured on LiteSVM (test/transfer.*.test.ts asserts the built
// transactions run within them) with headroom for program upgrades.
const CU = {
  computeBudgetIx: 150,
  solTransfer: 150,
  tokenTransferChecked: 10_000,
  createAtaIdempotent: 40_000,
  memoBase: 15_000,
  memoPerByte: 40,
  headroomPercent: 30,
} as const;

/**
 * Default compute-unit limit for a transfer of this shape.
 *
 * @example
 * ```ts
 * defaultComputeUnitLimit({ kind: 'SOL', memoBytes: 0, createsAta: false }); // ≈ 600
 * ```
 */
export function defaultComputeUnitLimit(shape: {
  kind: 'SOL' | 'TOKEN';
  memoBytes: number;
  createsAta: boolean;
}): number {
  let units =
    2 * CU.computeBudgetIx + (shape.kind === 'SOL' ? CU.solTransfer : CU.tokenTransferChecked);
  if (shape.createsAta) units += CU.createAtaIdempotent;
  if (shape.memoBytes > 0) units += CU.memoBase + CU.memoPerByte * shape.memoBytes;
  return Math.ceil((units * (100 + CU.headroomPercent)) / 100);
}

/**
 * Throws `AMOUNT_OUT_OF_RANGE` unless `amount` is a bigint with 1 ≤ amount ≤ u64 max.
 *
 * @example
 * ```ts
 * assertIsTransferAmount(1_000_000_000n); // ok
 * ```
 */
export function assertIsTransferAmount(amount: bigint): void {
  if (typeof amount !== 'bigint' || amount < 1n || amount > U64_MAX) {
    throw new SignerError(
      'AMOUNT_OUT_OF_RANGE',
      { amount: String(amount) },
      `amount must be within 1..${U64_MAX} base units`,
    );
  }
}

function needRpc(rpc: TransferRpc | undefined, what: string): TransferRpc {
  if (!rpc)
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: `an rpc is needed to ${what}` },
      `buildTransfer: an rpc is needed to ${what}`,
    );
  return rpc;
}

/**
 * Builds and compiles a transfer (SOL, SPL Token or Token-2022) paid for and signed by
 * `params.from`: compute-unit limit and price, an idempotent creation of the recipient's
 * associated token account when missing, the transfer, then the memo. Uses the RPC for
 * whatever the caller did not provide (latest blockhash, mint program and decimals,
 * recipient token account existence, recent priority fees). Nothing is signed or sent.
 *
 * @example
 * ```ts
 * const built = await buildTransfer({ kind: 'SOL', from, to, amount: 1_000_000n, memo: 'invoice 42' }, { rpc });
 * const signed = await signTransfer(built, custody);
 * // persist signed.signature, signed.wireBase64, signed.lastValidBlockHeight, then send
 * ```
 */
export async function buildTransfer(
  params: TransferParams,
  options: BuildTransferOptions = {},
): Promise<BuiltTransfer> {
  assertIsTransferAmount(params.amount);
  // Address checks only: whether a new account would stay below rent exemption needs the
  // recipient's balance, which the caller reads (see assertRecipientCanReceive).
  assertRecipientCanReceive({
    from: params.from,
    to: params.to,
    kind: params.kind,
    amount: params.amount,
  });
  const { rpc, abortSignal } = options;
  const sendOpts = abortSignal ? { abortSignal } : {};
  const payer = createNoopSigner(params.from);
  const memoBytes = params.memo === undefined ? 0 : Buffer.byteLength(params.memo, 'utf8');

  const lifetimePromise = fetchLifetime(params, rpc, sendOpts);
  // Awaited at the end; until then keep a failure from surfacing as an unhandled rejection
  // when an earlier step (mint lookup, fee estimate) throws first.
  lifetimePromise.catch(() => undefined);

  const { instructions, writable, token } =
    params.kind === 'SOL'
      ? solInstructions(params, payer)
      : await tokenInstructions(params, payer, rpc, sendOpts);
  if (params.memo !== undefined) {
    instructions.push(
      getAddMemoInstruction(
        { memo: params.memo },
        { programAddress: options.memoProgram ?? DEFAULT_MEMO_PROGRAM_ADDRESS },
      ),
    );
  }

  const priorityFeeMicroLamports = await resolvePriorityFee(params, writable, rpc, sendOpts);
  const computeUnitLimit = resolveComputeUnitLimit(params, memoBytes, token);
  const plan = planTransfer({
    kind: params.kind,
    ...(token ? { tokenProgram: token.mint.programAddress } : {}),
    memo: params.memo !== undefined,
    createsDestinationAta: token?.createsDestinationAta ?? false,
    computeUnitLimit,
    priorityFeeMicroLamports,
    ...(options.memoProgram ? { memoProgram: options.memoProgram } : {}),
  });
  const budget: Instruction[] = [getSetComputeUnitLimitInstruction({ units: computeUnitLimit })];
  if (priorityFeeMicroLamports > 0n)
    budget.push(getSetComputeUnitPriceInstruction({ microLamports: priorityFeeMicroLamports }));

  const lifetime = await lifetimePromise;
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions([...budget, ...instructions], m),
  );
  const transaction = compileTransfer(message);
  return {
    kind: params.kind,
    feePayer: params.from,
    transaction,
    messageBytes: transaction.messageBytes,
    blockhash: lifetime.blockhash,
    lastValidBlockHeight: lifetime.lastValidBlockHeight,
    computeUnitLimit,
    priorityFeeMicroLamports,
    plan,
    ...(token ? { token } : {}),
  };
}

type SendOptions = { abortSignal?: AbortSignal };

interface TransferInstructions {
  instructions: Instruction[];
  /** Accounts the transfer writes (what a priority fee is estimated from). */
  writable: Address[];
  token: BuiltTransfer['token'];
}

/** The caller's blockhash lifetime, or the cluster's latest (confirmed). */
function fetchLifetime(
  params: TransferParams,
  rpc: TransferRpc | undefined,
  sendOpts: SendOptions,
): Promise<BlockhashLifetime> {
  return params.lifetime
    ? Promise.resolve(params.lifetime)
    : needRpc(rpc, 'fetch the latest blockhash')
        .getLatestBlockhash({ commitment: 'confirmed' })
        .send(sendOpts)
        .then(({ value }) => value);
}

/** A system-program SOL transfer. */
function solInstructions(
  params: SolTransferParams,
  payer: TransactionSigner,
): TransferInstructions {
  return {
    instructions: [
      getTransferSolInstruction({ source: payer, destination: params.to, amount: params.amount }),
    ],
    writable: [params.from, params.to],
    token: undefined,
  };
}

/** The mint (looked up unless given), checked against what the transfer expects of it. */
async function checkedMint(
  params: TokenTransferParams,
  rpc: TransferRpc | undefined,
  sendOpts: SendOptions,
): Promise<MintInfo> {
  const mint =
    params.mintInfo ?? (await resolveMint(needRpc(rpc, 'look up the mint'), params.mint, sendOpts));
  if (mint.address !== params.mint) {
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: 'mintInfo is for another mint' },
      'buildTransfer: mintInfo.address differs from mint',
    );
  }
  if (
    mint.programAddress !== TOKEN_PROGRAM_ADDRESS &&
    mint.programAddress !== TOKEN_2022_PROGRAM_ADDRESS
  ) {
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: 'mintInfo.programAddress is not a token program' },
      'buildTransfer: mintInfo.programAddress is neither SPL Token nor Token-2022',
    );
  }
  if (params.expectedDecimals !== undefined && params.expectedDecimals !== mint.decimals) {
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: `mint has ${mint.decimals} decimals, expected ${params.expectedDecimals}` },
      `buildTransfer: mint ${mint.address} has ${mint.decimals} decimals, expected ${params.expectedDecimals}`,
    );
  }
  return mint;
}

/**
 * Associated token accounts derived lately. A derivation hashes (SHA-256, through WebCrypto)
 * until it finds an address off the curve, several times more costly than the rest of a token
 * transfer's build, and its result never changes for an owner, mint and token program.
 */
const associatedTokenAddresses = new LRUCache<string, Address>({ max: 10_000 });

async function associatedTokenAddress(
  owner: Address,
  mint: Address,
  tokenProgram: Address,
): Promise<Address> {
  const key = `${owner}:${mint}:${tokenProgram}`;
  let ata = associatedTokenAddresses.get(key);
  if (ata === undefined) {
    [ata] = await findAssociatedTokenPda({ owner, mint, tokenProgram });
    associatedTokenAddresses.set(key, ata);
  }
  return ata;
}

/**
 * A `transferChecked` between the two owners' associated token accounts, preceded by the
 * recipient's account creation when `createRecipientAta` asks for it (`auto`: when missing).
 */
async function tokenInstructions(
  params: TokenTransferParams,
  payer: TransactionSigner,
  rpc: TransferRpc | undefined,
  sendOpts: SendOptions,
): Promise<TransferInstructions> {
  const mint = await checkedMint(params, rpc, sendOpts);
  const tokenProgram = mint.programAddress;
  const [sourceAta, destinationAta] = await Promise.all([
    associatedTokenAddress(params.from, mint.address, tokenProgram),
    associatedTokenAddress(params.to, mint.address, tokenProgram),
  ]);
  const mode = params.createRecipientAta ?? 'auto';
  const createsDestinationAta =
    mode === 'always' ||
    (mode === 'auto' &&
      !(
        await fetchEncodedAccount(
          needRpc(rpc, 'check the recipient token account'),
          destinationAta,
          sendOpts,
        )
      ).exists);
  const instructions: Instruction[] = [];
  if (createsDestinationAta) {
    instructions.push(
      getCreateAssociatedTokenIdempotentInstruction({
        payer,
        ata: destinationAta,
        owner: params.to,
        mint: mint.address,
        tokenProgram,
      }),
    );
  }
  instructions.push(
    getTransferCheckedInstruction(
      {
        source: sourceAta,
        mint: mint.address,
        destination: destinationAta,
        authority: payer,
        amount: params.amount,
        decimals: mint.decimals,
      },
      // SPL Token and Token-2022 share transferChecked's layout; only the program differs.
      { programAddress: tokenProgram },
    ),
  );
  return {
    instructions,
    writable: [params.from, sourceAta, destinationAta],
    token: { mint, sourceAta, destinationAta, createsDestinationAta },
  };
}

/** The priority fee in micro-lamports per CU: given, estimated from `writable`, or 0. */
async function resolvePriorityFee(
  params: TransferParams,
  writable: Address[],
  rpc: TransferRpc | undefined,
  sendOpts: SendOptions,
): Promise<bigint> {
  const fee = params.priorityFee;
  if (!fee) return 0n;
  const microLamports =
    'microLamports' in fee
      ? fee.microLamports
      : await estimatePriorityFee(needRpc(rpc, 'estimate the priority fee'), writable, {
          percentile: fee.percentile,
          maxMicroLamports: fee.maxMicroLamports,
          ...(fee.minMicroLamports !== undefined ? { minMicroLamports: fee.minMicroLamports } : {}),
          ...sendOpts,
        });
  if (microLamports < 0n || microLamports > U64_MAX) {
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: 'priority fee out of u64 range' },
      'buildTransfer: priority fee out of u64 range',
    );
  }
  return microLamports;
}

/** The compute-unit limit: given (checked within 1..1 400 000) or the default for the shape. */
function resolveComputeUnitLimit(
  params: TransferParams,
  memoBytes: number,
  token: BuiltTransfer['token'],
): number {
  const computeUnitLimit =
    params.computeUnitLimit ??
    defaultComputeUnitLimit({
      kind: params.kind,
      memoBytes,
      createsAta: token?.createsDestinationAta ?? false,
    });
  if (!Number.isInteger(computeUnitLimit) || computeUnitLimit < 1 || computeUnitLimit > 1_400_000) {
    throw new SignerError(
      'INVALID_TRANSFER',
      { reason: 'computeUnitLimit must be within 1..1400000' },
      'buildTransfer: computeUnitLimit must be within 1..1400000',
    );
  }
  return computeUnitLimit;
}

// kit's encoders hold no state; kit builds them anew on every call of its helpers.
const transactionEncoder = getTransactionEncoder();
const base64Decoder = getBase64Decoder();

/**
 * Signs a built transfer with the fee payer's key in `custody` (the signature is verified
 * against the address unless the custody checks its keys itself), and derives the
 * transaction id locally, before anything is sent.
 *
 * @example
 * ```ts
 * const { signature, wireBase64, lastValidBlockHeight } = await signTransfer(built, custody);
 * ```
 */
export async function signTransfer(
  built: BuiltTransfer,
  custody: KeyCustody,
): Promise<SignedTransfer> {
  const sig = await signWithCustody(custody, built.feePayer, built.transaction.messageBytes);
  const transaction = Object.freeze({
    ...built.transaction,
    signatures: Object.freeze({ ...built.transaction.signatures, [built.feePayer]: sig }),
  });
  assertIsFullySignedTransaction(transaction);
  // Encoded once; kit's getBase64EncodedWireTransaction would encode it a second time.
  const wireBytes = new Uint8Array(transactionEncoder.encode(transaction));
  return {
    signature: getSignatureFromTransaction(transaction),
    wireBase64: base64Decoder.decode(wireBytes) as Base64EncodedWireTransaction,
    wireBytes,
    transaction,
    blockhash: built.blockhash,
    lastValidBlockHeight: built.lastValidBlockHeight,
  };
}
