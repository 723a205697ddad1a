import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressDecoder,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Blockhash,
  type KeyPairSigner,
  type ReadonlyUint8Array,
  type Signature,
} from '@solana/kit';
import { getTransferSolInstruction, SYSTEM_PROGRAM_ADDRESS } from '@solana-program/system';
import {
  Clock,
  EpochSchedule,
  FailedTransactionMetadata,
  LiteSVM,
  type TransactionMetadata,
} from 'litesvm';
import { type Commitment } from './json-rpc.js';
import {
  isTokenProgram,
  parseMint,
  parseTokenAccount,
  uiTokenAmount,
  type UiTokenAmount,
} from './token.js';
import { transactionErrorToJson, type TransactionErrorJson } from './transaction-error.js';
import {
  allAccountKeys,
  COMPUTE_BUDGET_PROGRAM,
  computeBudgetOf,
  decodeTransactionBytes,
  prioritizationFee,
  resolveLoadedAddresses,
  writableAccountKeys,
  type DecodedTransaction,
  type LoadedAddresses,
} from './wire.js';

/** A blockhash is usable for this many blocks after the one that produced it (agave `MAX_PROCESSING_AGE`). */
export const MAX_PROCESSING_AGE = 150n;
/** Signatures stay in the status cache this many slots (agave `MAX_RECENT_BLOCKHASHES`). */
export const STATUS_CACHE_SLOTS = 300n;
/** Lamports charged per signature, the cluster default. */
export const LAMPORTS_PER_SIGNATURE = 5000n;
/** Slots per epoch on mainnet-beta, without warm-up. */
const SLOTS_PER_EPOCH = 432_000n;
/** Recent blocks kept for blockhash lookups and prioritization fees (at least). */
const MIN_RECENT_BLOCKS_KEPT = 600n;
/** Lamports the faucet behind `requestAirdrop` starts with (500M SOL). */
const FAUCET_LAMPORTS = 500_000_000n * 1_000_000_000n;

/** One produced block: every slot produces one, so block height advances with the slot. */
export interface Block {
  slot: bigint;
  blockHeight: bigint;
  blockhash: Blockhash;
  /** Unix seconds. */
  blockTime: bigint;
}

/** A token balance as reported in a transaction's meta. */
export interface TokenBalance {
  accountIndex: number;
  mint: Address;
  owner: Address;
  programId: Address;
  uiTokenAmount: UiTokenAmount;
}

/** A transaction included in a block (successful or failed: both pay fees and are final). */
export interface LandedTransaction {
  signature: Signature;
  slot: bigint;
  blockTime: bigint;
  decoded: DecodedTransaction;
  loadedAddresses: LoadedAddresses;
  err: TransactionErrorJson | null;
  fee: bigint;
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  logMessages: string[];
  computeUnitsConsumed: bigint;
  innerInstructions: {
    index: number;
    instructions: {
      programIdIndex: number;
      accounts: number[];
      data: Uint8Array;
      stackHeight: number;
    }[];
  }[];
  returnData: { programId: Address; data: Uint8Array } | null;
}

/** What became of a submitted transaction. */
export type SubmitOutcome =
  | { kind: 'landed'; signature: Signature; transaction: LandedTransaction }
  | { kind: 'duplicate'; signature: Signature; transaction: LandedTransaction }
  | { kind: 'rejected'; signature: Signature; err: TransactionErrorJson }
  | { kind: 'dropped'; signature: Signature };

/** What a simulation produced. */
export interface SimulationResult {
  err: TransactionErrorJson | null;
  logs: string[];
  unitsConsumed: bigint;
  postAccounts: Map<
    Address,
    { lamports: bigint; data: ReadonlyUint8Array; owner: Address; executable: boolean }
  >;
  returnData: { programId: Address; data: Uint8Array } | null;
}

/** Options of the ledger's state machine. */
export interface LedgerOptions {
  slotMs: number;
  confirmationDepth: bigint;
  finalizationDepth: bigint;
  startSlot: bigint;
  startUnixTimestamp: bigint;
}

/**
 * The ledger's state: LiteSVM for accounts and execution, plus what LiteSVM has no notion of
 * (slots, blocks, block height, a blockhash queue with the cluster's 150-block validity,
 * landed transactions with their slot, commitment levels). Single-threaded by construction:
 * LiteSVM calls are synchronous, so each request sees and leaves a consistent state.
 */
export class Ledger {
  readonly svm: LiteSVM;
  private readonly options: LedgerOptions;
  private currentSlot: bigint;
  private currentBlockHeight: bigint;
  private readonly blocks = new Map<bigint, Block>();
  private readonly blockhashes = new Map<string, Block>();
  private readonly transactions = new Map<string, LandedTransaction>();
  private readonly landings = new Map<string, number>();
  private readonly dropped = new Set<string>();
  private readonly slotPriorityFees = new Map<bigint, { price: bigint; writable: Address[] }[]>();
  private transactionCount = 0n;
  private readonly blocksKept: bigint;
  private airdropCounter = 0;
  private faucetSigner: KeyPairSigner | undefined;

  constructor(options: LedgerOptions) {
    this.options = options;
    // The finalized block must still be known, whatever the finalization depth.
    const needed = options.finalizationDepth + MAX_PROCESSING_AGE + 1n;
    this.blocksKept = needed > MIN_RECENT_BLOCKS_KEPT ? needed : MIN_RECENT_BLOCKS_KEPT;
    // Blockhash age is checked here against a real 150-block queue; LiteSVM only knows its
    // single latest blockhash. Its signature history stays on (AlreadyProcessed).
    this.svm = new LiteSVM().withBlockhashCheck(false).withSigverify(true).withNativeMints();
    this.svm.setEpochSchedule(new EpochSchedule(SLOTS_PER_EPOCH, SLOTS_PER_EPOCH, false, 0n, 0n));
    this.currentSlot = options.startSlot;
    this.currentBlockHeight = options.startSlot;
    this.produceBlock();
  }

  /** Creates and funds the faucet behind `requestAirdrop` (async: key generation is WebCrypto). */
  async init(): Promise<void> {
    this.faucetSigner = await generateKeyPairSigner();
    this.svm.setAccount({
      address: this.faucetSigner.address,
      lamports: lamports(FAUCET_LAMPORTS),
      data: new Uint8Array(),
      programAddress: SYSTEM_PROGRAM_ADDRESS,
      executable: false,
      space: 0n,
    });
  }

  get slot(): bigint {
    return this.currentSlot;
  }

  get blockHeight(): bigint {
    return this.currentBlockHeight;
  }

  get totalTransactionCount(): bigint {
    return this.transactionCount;
  }

  get slotsPerEpoch(): bigint {
    return SLOTS_PER_EPOCH;
  }

  /** The faucet's address (the fee payer and source of airdrops). */
  get faucet(): Address {
    if (this.faucetSigner === undefined) throw new Error('Ledger.init() was not awaited');
    return this.faucetSigner.address;
  }

  /** Advances `n` slots, producing one block (and one new blockhash) per slot. */
  advanceSlots(n: number): void {
    for (let i = 0; i < n; i++) {
      this.currentSlot += 1n;
      this.currentBlockHeight += 1n;
      this.svm.expireBlockhash();
      this.produceBlock();
    }
  }

  private produceBlock(): void {
    const slot = this.currentSlot;
    const blockTime =
      this.options.startUnixTimestamp +
      ((slot - this.options.startSlot) * BigInt(this.options.slotMs)) / 1000n;
    const block: Block = {
      slot,
      blockHeight: this.currentBlockHeight,
      blockhash: this.svm.latestBlockhash(),
      blockTime,
    };
    this.blocks.set(slot, block);
    this.blockhashes.set(block.blockhash, block);
    const epoch = slot / SLOTS_PER_EPOCH;
    this.svm.setClock(
      new Clock(slot, this.options.startUnixTimestamp, epoch, epoch + 1n, blockTime),
    );
    const stale = this.blocks.get(slot - this.blocksKept);
    if (stale !== undefined) {
      this.blocks.delete(stale.slot);
      this.blockhashes.delete(stale.blockhash);
      this.slotPriorityFees.delete(stale.slot);
    }
  }

  /** The slot a read at `commitment` observes (never before the first slot). */
  commitmentSlot(commitment: Commitment): bigint {
    const depth =
      commitment === 'processed'
        ? 0n
        : commitment === 'confirmed'
          ? this.options.confirmationDepth
          : this.options.finalizationDepth;
    const slot = this.currentSlot - depth;
    return slot < this.options.startSlot ? this.options.startSlot : slot;
  }

  /** The block produced at `slot`, if still kept. */
  block(slot: bigint): Block | undefined {
    return this.blocks.get(slot);
  }

  /** The newest block visible at `commitment`, with the last block height its blockhash is valid at. */
  latestBlockhash(commitment: Commitment): { block: Block; lastValidBlockHeight: bigint } {
    const block = this.blocks.get(this.commitmentSlot(commitment));
    if (block === undefined) throw new Error('the block at the commitment slot was pruned');
    return { block, lastValidBlockHeight: block.blockHeight + MAX_PROCESSING_AGE };
  }

  /** True while a transaction using `blockhash` can still land. */
  isBlockhashValid(blockhash: string): boolean {
    const block = this.blockhashes.get(blockhash);
    return block !== undefined && this.currentBlockHeight <= block.blockHeight + MAX_PROCESSING_AGE;
  }

  /** Confirmation status of a landed transaction now. */
  confirmationStatus(tx: LandedTransaction): { status: Commitment; confirmations: bigint | null } {
    const depth = this.currentSlot - tx.slot;
    if (depth >= this.options.finalizationDepth)
      return { status: 'finalized', confirmations: null };
    return {
      status: depth >= this.options.confirmationDepth ? 'confirmed' : 'processed',
      confirmations: depth,
    };
  }

  /** True once a landed transaction is visible at `commitment`. */
  reached(tx: LandedTransaction, commitment: Commitment): boolean {
    const { status } = this.confirmationStatus(tx);
    if (commitment === 'finalized') return status === 'finalized';
    if (commitment === 'confirmed') return status !== 'processed';
    return true;
  }

  /** A landed transaction, if any. `withinStatusCache` limits the search as a validator does without history search. */
  transaction(signature: string, withinStatusCache = false): LandedTransaction | undefined {
    const tx = this.transactions.get(signature);
    if (tx === undefined) return undefined;
    if (withinStatusCache && this.currentSlot - tx.slot > STATUS_CACHE_SLOTS) return undefined;
    return tx;
  }

  /** How many times the signature was applied to the ledger (0 or 1 on a correct ledger). */
  landingCount(signature: string): number {
    return this.landings.get(signature) ?? 0;
  }

  /** True when fault injection accepted the signature and then dropped it. */
  wasDropped(signature: string): boolean {
    return this.dropped.has(signature);
  }

  /** Records a transaction accepted by the RPC but never landed (fault injection). */
  drop(signature: Signature): SubmitOutcome {
    this.dropped.add(signature);
    return { kind: 'dropped', signature };
  }

  /**
   * Executes a transaction the way a leader would: never twice, only with a blockhash still
   * in the queue, only when the fee payer can pay; failed executions still land (and pay).
   */
  submit(tx: DecodedTransaction): SubmitOutcome {
    const { signature } = tx;
    const existing = this.transactions.get(signature);
    if (existing !== undefined) return { kind: 'duplicate', signature, transaction: existing };
    if (!this.isBlockhashValid(tx.recentBlockhash))
      return { kind: 'rejected', signature, err: 'BlockhashNotFound' };

    const loaded = this.loadedAddresses(tx);
    const keys = allAccountKeys(tx, loaded);
    const budget = computeBudgetOf(tx);
    const priorityFee = prioritizationFee(budget);
    const fee = LAMPORTS_PER_SIGNATURE * BigInt(tx.header.numRequiredSignatures) + priorityFee;
    const pre = this.snapshot(keys);
    // LiteSVM itself checks that the fee payer can pay and charges signature and
    // prioritization fees (also for failed transactions); `fee` only reports it.
    let sent: TransactionMetadata | FailedTransactionMetadata;
    try {
      sent = this.svm.sendTransaction(tx.transaction);
    } catch {
      // kit refuses to serialise a transaction missing a signature: the leader's sigverify would drop it.
      return { kind: 'rejected', signature, err: 'SignatureFailure' };
    }
    const result = sent;
    const failed = result instanceof FailedTransactionMetadata;
    if (failed && this.svm.getTransaction(signature) === null) {
      return { kind: 'rejected', signature, err: transactionErrorToJson(result) };
    }
    const meta = failed ? result.meta() : result;
    const post = this.snapshot(keys);
    const block = this.latestBlockhash('processed').block;
    const landed: LandedTransaction = {
      signature,
      slot: this.currentSlot,
      blockTime: block.blockTime,
      decoded: tx,
      loadedAddresses: loaded,
      err: failed ? transactionErrorToJson(result) : null,
      fee,
      preBalances: pre.balances,
      postBalances: post.balances,
      preTokenBalances: pre.tokenBalances,
      postTokenBalances: post.tokenBalances,
      logMessages: meta.logs(),
      computeUnitsConsumed: meta.computeUnitsConsumed(),
      innerInstructions: meta
        .innerInstructions()
        .map((list, index) => ({
          index,
          instructions: list.map((inner) => {
            const compiled = inner.instruction();
            return {
              programIdIndex: compiled.programIdIndex(),
              accounts: [...compiled.accounts()],
              data: compiled.data(),
              stackHeight: inner.stackHeight(),
            };
          }),
        }))
        .filter((entry) => entry.instructions.length > 0),
      returnData: returnDataOf(meta),
    };
    this.transactions.set(signature, landed);
    this.landings.set(signature, (this.landings.get(signature) ?? 0) + 1);
    this.transactionCount += 1n;
    if (landed.err === null && budget.microLamportsPerComputeUnit > 0n) {
      const fees = this.slotPriorityFees.get(this.currentSlot) ?? [];
      fees.push({
        price: budget.microLamportsPerComputeUnit,
        writable: writableAccountKeys(tx, loaded),
      });
      this.slotPriorityFees.set(this.currentSlot, fees);
    }
    return { kind: 'landed', signature, transaction: landed };
  }

  /** Runs a transaction against current state without committing anything. */
  simulate(
    tx: DecodedTransaction,
    options: { sigVerify: boolean; checkBlockhash: boolean },
  ): SimulationResult {
    const empty = (err: TransactionErrorJson): SimulationResult => ({
      err,
      logs: [],
      unitsConsumed: 0n,
      postAccounts: new Map(),
      returnData: null,
    });
    if (options.checkBlockhash && !this.isBlockhashValid(tx.recentBlockhash))
      return empty('BlockhashNotFound');
    if (this.transactions.has(tx.signature)) return empty('AlreadyProcessed');
    this.svm.withSigverify(options.sigVerify);
    try {
      const result = this.svm.simulateTransaction(tx.transaction);
      if (result instanceof FailedTransactionMetadata) {
        const meta = result.meta();
        return {
          err: transactionErrorToJson(result),
          logs: meta.logs(),
          unitsConsumed: meta.computeUnitsConsumed(),
          postAccounts: new Map(),
          returnData: returnDataOf(meta),
        };
      }
      const meta = result.meta();
      return {
        err: null,
        logs: meta.logs(),
        unitsConsumed: meta.computeUnitsConsumed(),
        postAccounts: new Map(
          result.postAccounts().map((a) => [
            a.address,
            {
              lamports: a.lamports,
              data: a.data,
              owner: a.programAddress,
              executable: a.executable,
            },
          ]),
        ),
        returnData: returnDataOf(meta),
      };
    } catch {
      return empty('SignatureFailure');
    } finally {
      this.svm.withSigverify(true);
    }
  }

  /**
   * Sends lamports from the faucet in a real, signed system transfer, so an airdrop has a
   * signature, a status and a transaction like any other.
   */
  async airdrop(to: Address, amount: bigint): Promise<SubmitOutcome> {
    const faucet = this.faucetSigner;
    if (faucet === undefined) throw new Error('Ledger.init() was not awaited');
    const { block } = this.latestBlockhash('processed');
    // Two identical airdrops in one slot would have the same signature and the second would
    // be AlreadyProcessed; a compute-unit-limit instruction with a counter keeps them distinct.
    this.airdropCounter = (this.airdropCounter + 1) % 1_000_000;
    const limit = new Uint8Array(5);
    limit[0] = 2;
    new DataView(limit.buffer).setUint32(1, 1_000 + this.airdropCounter, true);
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(faucet, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          {
            blockhash: block.blockhash,
            lastValidBlockHeight: block.blockHeight + MAX_PROCESSING_AGE,
          },
          m,
        ),
      (m) =>
        appendTransactionMessageInstructions(
          [
            { programAddress: COMPUTE_BUDGET_PROGRAM, data: limit },
            getTransferSolInstruction({ source: faucet, destination: to, amount }),
          ],
          m,
        ),
    );
    const signed = await signTransactionMessageWithSigners(message);
    const decoded = decodeTransactionBytes(
      getBase64Encoder().encode(getBase64EncodedWireTransaction(signed)) as Uint8Array,
    );
    return this.submit(decoded);
  }

  /** Prioritization fees of recent slots: the lowest price paid by a landed transaction locking one of `accounts`. */
  recentPrioritizationFees(
    accounts: readonly Address[],
  ): { slot: bigint; prioritizationFee: bigint }[] {
    const out: { slot: bigint; prioritizationFee: bigint }[] = [];
    const from = this.currentSlot - MAX_PROCESSING_AGE + 1n;
    for (
      let slot = from < this.options.startSlot ? this.options.startSlot : from;
      slot <= this.currentSlot;
      slot++
    ) {
      const fees = (this.slotPriorityFees.get(slot) ?? []).filter(
        (f) => accounts.length === 0 || f.writable.some((w) => accounts.includes(w)),
      );
      const min = fees.reduce<bigint | undefined>(
        (m, f) => (m === undefined || f.price < m ? f.price : m),
        undefined,
      );
      out.push({ slot, prioritizationFee: min ?? 0n });
    }
    return out;
  }

  /** The fee a message would pay now: signatures plus prioritization fee. */
  feeFor(tx: DecodedTransaction): bigint {
    return (
      LAMPORTS_PER_SIGNATURE * BigInt(tx.header.numRequiredSignatures) +
      prioritizationFee(computeBudgetOf(tx))
    );
  }

  /** Resolves lookup-table addresses of a v0 message against current state. */
  loadedAddresses(tx: DecodedTransaction): LoadedAddresses {
    return resolveLoadedAddresses(tx, (address) => {
      const account = this.svm.getAccount(address);
      return account.exists ? account.data : undefined;
    });
  }

  /**
   * Balances and token balances of `keys`. Token balances are collected only when a token
   * program is among the keys, as a validator does (agave `collect_token_balances`); without
   * one, only lamports are read, which spares copying every account's data twice per send.
   */
  private snapshot(keys: readonly Address[]): {
    balances: bigint[];
    tokenBalances: TokenBalance[];
  } {
    const balances: bigint[] = [];
    const tokenBalances: TokenBalance[] = [];
    if (!keys.some((key) => isTokenProgram(key))) {
      for (const key of keys) balances.push(this.svm.getBalance(key) ?? 0n);
      return { balances, tokenBalances };
    }
    keys.forEach((key, accountIndex) => {
      const account = this.svm.getAccount(key);
      balances.push(account.exists ? account.lamports : 0n);
      if (!account.exists || !isTokenProgram(account.programAddress)) return;
      const state = parseTokenAccount(account.data);
      if (state === undefined) return;
      const mint = this.svm.getAccount(state.mint);
      const decimals = mint.exists ? (parseMint(mint.data)?.decimals ?? 0) : 0;
      tokenBalances.push({
        accountIndex,
        mint: state.mint,
        owner: state.owner,
        programId: account.programAddress,
        uiTokenAmount: uiTokenAmount(state.amount, decimals),
      });
    });
    return { balances, tokenBalances };
  }
}

function returnDataOf(meta: TransactionMetadata): { programId: Address; data: Uint8Array } | null {
  const returnData = meta.returnData();
  const data = returnData.data();
  if (data.length === 0) return null;
  const programId = returnData.programId();
  return { programId: decodeAddress(programId), data };
}

function decodeAddress(bytes: Uint8Array): Address {
  addressDecoder ??= getAddressDecoder();
  return addressDecoder.decode(bytes);
}

let addressDecoder: ReturnType<typeof getAddressDecoder> | undefined;
