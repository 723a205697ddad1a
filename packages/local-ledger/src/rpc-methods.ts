import {
  getBase58Decoder,
  getBase64Decoder,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  type Address,
  type ReadonlyUint8Array,
} from '@solana/kit';
import {
  Config,
  invalidParam,
  invalidParams,
  Params,
  RpcError,
  RPC_ERROR,
  type Commitment,
} from './json-rpc.js';
import { type Ledger, type LandedTransaction, type SimulationResult } from './ledger.js';
import {
  isTokenProgram,
  parseMint,
  parseTokenAccount,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAMS,
  uiTokenAmount,
} from './token.js';
import { transactionErrorMessage, type TransactionErrorJson } from './transaction-error.js';
import {
  decodeTransactionBytes,
  decodeWireTransaction,
  type DecodedTransaction,
  type WireEncoding,
} from './wire.js';

/** The agave release whose RPC shapes this server follows. */
export const SOLANA_CORE_VERSION = '2.2.7';
const FEATURE_SET = 3294202862;
/** `rentEpoch` of every rent-exempt account on a current cluster. */
const RENT_EXEMPT_EPOCH = 0xffff_ffff_ffff_ffffn;
const MAX_MULTIPLE_ACCOUNTS = 100;
const MAX_SIGNATURE_STATUSES = 256;
const MAX_PRIORITIZATION_FEE_ACCOUNTS = 128;

/** A method handler: positional params in, JSON-able result (bigints allowed) out. */
export type MethodHandler = (params: Params) => unknown;

/** What the methods need besides the ledger. */
export interface MethodContext {
  ledger: Ledger;
  /** Decides, per accepted `sendTransaction`, whether fault injection drops it. */
  shouldDrop: () => boolean;
}

type AccountEncoding = 'binary' | 'base58' | 'base64' | 'jsonParsed';
const ACCOUNT_ENCODINGS: readonly AccountEncoding[] = ['binary', 'base58', 'base64', 'jsonParsed'];

interface AccountView {
  lamports: bigint;
  data: ReadonlyUint8Array;
  owner: Address;
  executable: boolean;
}

// Stateless codecs, shared by every method.
const base58 = getBase58Decoder();
const base64 = getBase64Decoder();

/** The ledger and the helpers every group of methods shares. */
interface Toolkit extends MethodContext {
  /** The response context at the commitment asked for; enforces `minContextSlot`. */
  contextAt: (config: Config, fallback?: Commitment) => { slot: bigint; apiVersion: string };
  readAccount: (address: Address) => AccountView | null;
  encodeAccount: (account: AccountView, encoding: AccountEncoding, config: Config) => unknown;
}

/** `jsonParsed` data of a token account or mint (undefined for anything else). */
const parseAccountJson = (
  account: AccountView,
  readAccount: (address: Address) => AccountView | null,
): unknown => {
  if (!isTokenProgram(account.owner)) return undefined;
  const program = account.owner === TOKEN_2022_PROGRAM_ADDRESS ? 'spl-token-2022' : 'spl-token';
  const space = BigInt(account.data.length);
  const tokenAccount = parseTokenAccount(account.data);
  if (tokenAccount !== undefined) {
    const mint = readAccount(tokenAccount.mint);
    const decimals = mint === null ? 0 : (parseMint(mint.data)?.decimals ?? 0);
    const info: Record<string, unknown> = {
      isNative: tokenAccount.isNative,
      mint: tokenAccount.mint,
      owner: tokenAccount.owner,
      state: tokenAccount.state,
      tokenAmount: uiTokenAmount(tokenAccount.amount, decimals),
    };
    if (tokenAccount.delegate !== null) {
      info.delegate = tokenAccount.delegate;
      info.delegatedAmount = uiTokenAmount(tokenAccount.delegatedAmount, decimals);
    }
    if (tokenAccount.closeAuthority !== null) info.closeAuthority = tokenAccount.closeAuthority;
    return { program, parsed: { info, type: 'account' }, space };
  }
  const mint = parseMint(account.data);
  if (mint !== undefined) {
    return {
      program,
      parsed: {
        info: {
          decimals: mint.decimals,
          freezeAuthority: mint.freezeAuthority,
          isInitialized: mint.isInitialized,
          mintAuthority: mint.mintAuthority,
          supply: mint.supply.toString(),
        },
        type: 'mint',
      },
      space,
    };
  }
  return undefined;
};

function createToolkit({ ledger, shouldDrop }: MethodContext): Toolkit {
  const contextAt = (
    config: Config,
    fallback: Commitment = 'finalized',
  ): { slot: bigint; apiVersion: string } => {
    const slot = ledger.commitmentSlot(config.commitment(fallback));
    const minContextSlot = config.u64('minContextSlot');
    if (minContextSlot !== undefined && slot < minContextSlot) {
      throw new RpcError(
        RPC_ERROR.MIN_CONTEXT_SLOT_NOT_REACHED,
        'Minimum context slot has not been reached',
        {
          contextSlot: slot,
        },
      );
    }
    return { slot, apiVersion: SOLANA_CORE_VERSION };
  };

  const readAccount = (address: Address): AccountView | null => {
    const account = ledger.svm.getAccount(address);
    if (!account.exists) return null;
    return {
      lamports: account.lamports,
      data: account.data,
      owner: account.programAddress,
      executable: account.executable,
    };
  };

  const encodeAccount = (
    account: AccountView,
    encoding: AccountEncoding,
    config: Config,
  ): unknown => {
    const slice = config.object('dataSlice');
    let data = account.data;
    if (slice !== undefined) {
      const offset = Number(slice.u64('offset') ?? 0n);
      const length = Number(slice.u64('length') ?? 0n);
      data = data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length));
    }
    let encoded: unknown;
    if (encoding === 'binary') encoded = base58.decode(data);
    else if (encoding === 'base58') encoded = [base58.decode(data), 'base58'];
    else if (encoding === 'jsonParsed' && slice === undefined)
      encoded = parseAccountJson(account, readAccount) ?? [base64.decode(data), 'base64'];
    else encoded = [base64.decode(data), 'base64'];
    return {
      data: encoded,
      executable: account.executable,
      lamports: account.lamports,
      owner: account.owner,
      rentEpoch: RENT_EXEMPT_EPOCH,
      space: BigInt(account.data.length),
    };
  };

  return { ledger, shouldDrop, contextAt, readAccount, encodeAccount };
}

/** Health, version, slots, epochs and blockhashes. */
function clusterMethods({ ledger, contextAt }: Toolkit): Record<string, MethodHandler> {
  return {
    getHealth: () => 'ok',

    getVersion: () => ({ 'feature-set': FEATURE_SET, 'solana-core': SOLANA_CORE_VERSION }),

    getSlot: (p) => contextAt(p.config(0)).slot,

    getBlockHeight: (p) => {
      const { slot } = contextAt(p.config(0));
      return ledger.block(slot)?.blockHeight ?? ledger.blockHeight;
    },

    getEpochInfo: (p) => {
      const { slot } = contextAt(p.config(0));
      const slotsInEpoch = ledger.slotsPerEpoch;
      return {
        absoluteSlot: slot,
        blockHeight: ledger.block(slot)?.blockHeight ?? ledger.blockHeight,
        epoch: slot / slotsInEpoch,
        slotIndex: slot % slotsInEpoch,
        slotsInEpoch,
        transactionCount: ledger.totalTransactionCount,
      };
    },

    getLatestBlockhash: (p) => {
      const config = p.config(0);
      const context = contextAt(config);
      const { block, lastValidBlockHeight } = ledger.latestBlockhash(config.commitment());
      return { context, value: { blockhash: block.blockhash, lastValidBlockHeight } };
    },

    isBlockhashValid: (p) => {
      const blockhash = p.string(0, 'blockhash');
      const context = contextAt(p.config(1));
      return { context, value: ledger.isBlockhashValid(blockhash) };
    },
  };
}

/** Balances and accounts, raw or parsed. */
function accountMethods(toolkit: Toolkit): Record<string, MethodHandler> {
  const { ledger, contextAt, readAccount, encodeAccount } = toolkit;
  return {
    getBalance: (p) => {
      const address = p.address(0);
      const context = contextAt(p.config(1));
      return { context, value: ledger.svm.getBalance(address) ?? 0n };
    },

    getAccountInfo: (p) => {
      const address = p.address(0);
      const config = p.config(1);
      const context = contextAt(config);
      const encoding = config.encoding(ACCOUNT_ENCODINGS, 'binary');
      const account = readAccount(address);
      return { context, value: account === null ? null : encodeAccount(account, encoding, config) };
    },

    getMultipleAccounts: (p) => {
      const list = p.array(0, 'pubkeys');
      if (list.length > MAX_MULTIPLE_ACCOUNTS) {
        throw invalidParams(`Too many inputs provided; max ${MAX_MULTIPLE_ACCOUNTS}`);
      }
      const addresses = list.map((_, i) => new Params(list).address(i));
      const config = p.config(1);
      const context = contextAt(config);
      const encoding = config.encoding(ACCOUNT_ENCODINGS, 'base64');
      return {
        context,
        value: addresses.map((a) => {
          const account = readAccount(a);
          return account === null ? null : encodeAccount(account, encoding, config);
        }),
      };
    },

    getMinimumBalanceForRentExemption: (p) => {
      const size = p.length > 0 ? p.u64(0, 'data length') : 0n;
      contextAt(p.config(1));
      return ledger.svm.minimumBalanceForRentExemption(size);
    },
  };
}

/** SPL Token and Token-2022 accounts. */
function tokenMethods(toolkit: Toolkit): Record<string, MethodHandler> {
  const { ledger, contextAt, readAccount, encodeAccount } = toolkit;
  return {
    getTokenAccountBalance: (p) => {
      const address = p.address(0);
      const context = contextAt(p.config(1));
      const account = readAccount(address);
      if (account === null) throw invalidParam('could not find account');
      const state = isTokenProgram(account.owner) ? parseTokenAccount(account.data) : undefined;
      if (state === undefined) throw invalidParam('not a Token account');
      const mint = readAccount(state.mint);
      const decimals = mint === null ? undefined : parseMint(mint.data)?.decimals;
      if (decimals === undefined) throw invalidParam('could not find mint');
      return { context, value: uiTokenAmount(state.amount, decimals) };
    },

    getTokenAccountsByOwner: (p) => {
      const owner = p.address(0);
      const filter = p.config(1);
      const config = p.config(2);
      const context = contextAt(config);
      const encoding = config.encoding(ACCOUNT_ENCODINGS, 'binary');
      let programs: readonly Address[];
      let mint: Address | undefined;
      if (filter.has('mint')) {
        mint = new Params([filter.values.mint]).address(0);
        const mintAccount = readAccount(mint);
        if (
          mintAccount === null ||
          !isTokenProgram(mintAccount.owner) ||
          parseMint(mintAccount.data) === undefined
        ) {
          throw invalidParam('could not find mint');
        }
        programs = [mintAccount.owner];
      } else if (filter.has('programId')) {
        const programId = new Params([filter.values.programId]).address(0);
        if (!TOKEN_PROGRAMS.includes(programId))
          throw invalidParam('unrecognized Token program id');
        programs = [programId];
      } else {
        throw invalidParams('expected `mint` or `programId`');
      }
      const value: { pubkey: Address; account: unknown }[] = [];
      for (const program of programs) {
        for (const account of ledger.svm.getProgramAccounts(program)) {
          const state = parseTokenAccount(account.data);
          if (
            state === undefined ||
            state.owner !== owner ||
            (mint !== undefined && state.mint !== mint)
          )
            continue;
          const view = {
            lamports: account.lamports,
            data: account.data,
            owner: account.programAddress,
            executable: account.executable,
          };
          value.push({ pubkey: account.address, account: encodeAccount(view, encoding, config) });
        }
      }
      return { context, value };
    },
  };
}

/** Fees: per message, and recent prioritization fees. */
function feeMethods({ ledger, contextAt }: Toolkit): Record<string, MethodHandler> {
  return {
    getFeeForMessage: (p) => {
      const encoded = p.string(0, 'message');
      const config = p.config(1);
      const context = contextAt(config);
      let messageBytes: Uint8Array;
      let numSigners: number;
      try {
        messageBytes = getBase64Encoder().encode(encoded) as Uint8Array;
        numSigners =
          getCompiledTransactionMessageDecoder().decode(messageBytes).header.numSignerAccounts;
      } catch {
        throw invalidParams('invalid message');
      }
      // Wrap the message in a wire transaction with empty signatures to reuse the decoder.
      const wire = new Uint8Array(1 + 64 * numSigners + messageBytes.length);
      wire[0] = numSigners;
      wire.set(messageBytes, 1 + 64 * numSigners);
      const tx = decodeTransactionBytes(wire);
      return {
        context,
        value: ledger.isBlockhashValid(tx.recentBlockhash) ? ledger.feeFor(tx) : null,
      };
    },

    getRecentPrioritizationFees: (p) => {
      const list = p.length > 0 && p.raw(0) !== null ? p.array(0, 'addresses') : [];
      if (list.length > MAX_PRIORITIZATION_FEE_ACCOUNTS) {
        throw invalidParams(`Too many inputs provided; max ${MAX_PRIORITIZATION_FEE_ACCOUNTS}`);
      }
      const addresses = list.map((_, i) => new Params(list).address(i));
      return ledger.recentPrioritizationFees(addresses);
    },
  };
}

const wireEncoding = (config: Config): WireEncoding =>
  config.encoding<WireEncoding>(['base58', 'base64'], 'base58');

/** Airdrops, sending and simulating transactions, and their statuses. */
const simulationValue = (
  result: SimulationResult,
  extra: { accounts: unknown; replacementBlockhash: unknown },
): Record<string, unknown> => ({
  err: result.err,
  logs: result.logs,
  accounts: extra.accounts,
  unitsConsumed: result.unitsConsumed,
  returnData:
    result.returnData === null
      ? null
      : {
          programId: result.returnData.programId,
          data: [base64.decode(result.returnData.data), 'base64'],
        },
  replacementBlockhash: extra.replacementBlockhash,
  innerInstructions: null,
  loadedAccountsDataSize: 0,
});

const preflightFailure = (result: SimulationResult): RpcError => {
  const err = result.err as TransactionErrorJson;
  return new RpcError(
    RPC_ERROR.SEND_TRANSACTION_PREFLIGHT_FAILURE,
    `Transaction simulation failed: ${transactionErrorMessage(err)}`,
    simulationValue(result, { accounts: null, replacementBlockhash: null }),
  );
};

const signatureVerificationFailure = (): RpcError =>
  new RpcError(
    RPC_ERROR.TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
    'Transaction signature verification failure',
  );

const transactionStatus = (ledger: Ledger, tx: LandedTransaction): Record<string, unknown> => {
  const { status, confirmations } = ledger.confirmationStatus(tx);
  return {
    slot: tx.slot,
    confirmations,
    err: tx.err,
    status: tx.err === null ? { Ok: null } : { Err: tx.err },
    confirmationStatus: status,
  };
};

const encodeTransaction = (tx: DecodedTransaction, encoding: string): unknown => {
  if (encoding === 'base64') return [base64.decode(tx.wire), 'base64'];
  if (encoding === 'base58') return [base58.decode(tx.wire), 'base58'];
  const message: Record<string, unknown> = {
    accountKeys: tx.staticAccounts,
    header: tx.header,
    instructions: tx.instructions.map((ix) => ({
      accounts: ix.accounts,
      data: base58.decode(ix.data),
      programIdIndex: ix.programIdIndex,
      stackHeight: null,
    })),
    recentBlockhash: tx.recentBlockhash,
  };
  if (tx.version === 0) message.addressTableLookups = tx.addressTableLookups;
  return { message, signatures: tx.signatures };
};

/**
 * The accounts `simulateTransaction` was asked for (`accounts.addresses`), as the simulation
 * left them. A failed simulation reports no accounts at all, as a validator does.
 */
function simulatedAccounts(
  result: SimulationResult,
  accountsConfig: Config | undefined,
  { readAccount, encodeAccount }: Pick<Toolkit, 'readAccount' | 'encodeAccount'>,
): unknown {
  if (accountsConfig === undefined || result.err !== null) return null;
  const list = new Params([accountsConfig.values.addresses]).array(0, 'accounts.addresses');
  const encoding = accountsConfig.encoding(['base64', 'jsonParsed'], 'base64');
  return list.map((_, i) => {
    const address = new Params(list).address(i);
    const post = result.postAccounts.get(address) ?? readAccount(address);
    return post === null ? null : encodeAccount(post, encoding, accountsConfig);
  });
}

/** Airdrops, sending and simulating transactions. */
function submissionMethods({
  ledger,
  shouldDrop,
  contextAt,
  readAccount,
  encodeAccount,
}: Toolkit): Record<string, MethodHandler> {
  return {
    requestAirdrop: async (p) => {
      const address = p.address(0);
      const amount = p.u64(1, 'lamports');
      contextAt(p.config(2));
      const outcome = await ledger.airdrop(address, amount);
      if (outcome.kind !== 'landed') {
        throw new RpcError(
          RPC_ERROR.INTERNAL_ERROR,
          'airdrop request failed. This can happen when the rate limit is reached.',
        );
      }
      return outcome.signature;
    },

    sendTransaction: (p) => {
      const encoded = p.string(0, 'transaction');
      const config = p.config(1);
      const tx = decodeWireTransaction(encoded, wireEncoding(config));
      const skipPreflight = config.boolean('skipPreflight') ?? false;
      config.u64('maxRetries'); // accepted; a local leader never needs to rebroadcast
      contextAt(
        new Config({
          commitment: config.string('preflightCommitment'),
          minContextSlot: config.values.minContextSlot,
        }),
      );
      if (!skipPreflight) {
        const preflight = ledger.simulate(tx, { sigVerify: true, checkBlockhash: true });
        if (preflight.err === 'SignatureFailure') throw signatureVerificationFailure();
        if (preflight.err !== null) throw preflightFailure(preflight);
      }
      if (ledger.transaction(tx.signature) === undefined && shouldDrop())
        return ledger.drop(tx.signature).signature;
      // Like a validator, a transaction that cannot land (or already landed) is still
      // acknowledged with its signature when preflight is skipped; it just never lands again.
      return ledger.submit(tx).signature;
    },

    simulateTransaction: (p) => {
      const encoded = p.string(0, 'transaction');
      const config = p.config(1);
      const context = contextAt(config);
      const tx = decodeWireTransaction(encoded, wireEncoding(config));
      const sigVerify = config.boolean('sigVerify') ?? false;
      const replaceRecentBlockhash = config.boolean('replaceRecentBlockhash') ?? false;
      if (sigVerify && replaceRecentBlockhash) {
        throw invalidParams('sigVerify may not be used with replaceRecentBlockhash');
      }
      const result = ledger.simulate(tx, { sigVerify, checkBlockhash: !replaceRecentBlockhash });
      if (sigVerify && result.err === 'SignatureFailure') throw signatureVerificationFailure();
      const accounts = simulatedAccounts(result, config.object('accounts'), {
        readAccount,
        encodeAccount,
      });
      const replacement = replaceRecentBlockhash
        ? ledger.latestBlockhash(config.commitment())
        : undefined;
      return {
        context,
        value: simulationValue(result, {
          accounts,
          replacementBlockhash:
            replacement === undefined
              ? null
              : {
                  blockhash: replacement.block.blockhash,
                  lastValidBlockHeight: replacement.lastValidBlockHeight,
                },
        }),
      };
    },
  };
}

/**
 * `getTransaction`'s answer for a landed transaction. A validator reports `version` only to
 * clients that declared which versions they support (`versioned`).
 */
function transactionJson(
  tx: LandedTransaction,
  encoding: string,
  versioned: boolean,
): Record<string, unknown> {
  return {
    blockTime: tx.blockTime,
    meta: {
      computeUnitsConsumed: tx.computeUnitsConsumed,
      err: tx.err,
      fee: tx.fee,
      innerInstructions: tx.innerInstructions.map((entry) => ({
        index: entry.index,
        instructions: entry.instructions.map((ix) => ({
          accounts: ix.accounts,
          data: base58.decode(ix.data),
          programIdIndex: ix.programIdIndex,
          stackHeight: ix.stackHeight,
        })),
      })),
      loadedAddresses: tx.loadedAddresses,
      logMessages: tx.logMessages,
      postBalances: tx.postBalances,
      postTokenBalances: tx.postTokenBalances,
      preBalances: tx.preBalances,
      preTokenBalances: tx.preTokenBalances,
      ...(tx.returnData === null
        ? {}
        : {
            returnData: {
              programId: tx.returnData.programId,
              data: [base64.decode(tx.returnData.data), 'base64'],
            },
          }),
      rewards: [],
      status: tx.err === null ? { Ok: null } : { Err: tx.err },
    },
    slot: tx.slot,
    transaction: encodeTransaction(tx.decoded, encoding),
    ...(versioned ? { version: tx.decoded.version } : {}),
  };
}

/** Landed transactions: their statuses and their details. */
function historyMethods({ ledger }: Toolkit): Record<string, MethodHandler> {
  return {
    getSignatureStatuses: (p) => {
      const list = p.array(0, 'signatures');
      if (list.length > MAX_SIGNATURE_STATUSES) {
        throw invalidParams(`Too many inputs provided; max ${MAX_SIGNATURE_STATUSES}`);
      }
      const signatures = list.map((s) => p.signature(s));
      const config = p.config(1);
      const searchHistory = config.boolean('searchTransactionHistory') ?? false;
      return {
        context: { slot: ledger.slot, apiVersion: SOLANA_CORE_VERSION },
        value: signatures.map((s) => {
          const tx = ledger.transaction(s, !searchHistory);
          return tx === undefined ? null : transactionStatus(ledger, tx);
        }),
      };
    },

    getTransaction: (p) => {
      const signature = p.signature(p.raw(0));
      const config = p.config(1);
      const commitment = config.commitment();
      if (commitment === 'processed')
        throw invalidParams('Method does not support commitment below `confirmed`');
      const encoding = config.encoding(['json', 'base64', 'base58'], 'json');
      const maxVersion = config.u64('maxSupportedTransactionVersion');
      const tx = ledger.transaction(signature);
      if (tx === undefined || !ledger.reached(tx, commitment)) return null;
      if (tx.decoded.version === 0 && maxVersion === undefined) {
        throw new RpcError(
          RPC_ERROR.UNSUPPORTED_TRANSACTION_VERSION,
          'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0',
        );
      }
      return transactionJson(tx, encoding, maxVersion !== undefined);
    },
  };
}

/**
 * Builds the method table served over JSON-RPC, from its groups: cluster, accounts, tokens,
 * fees, submission and history.
 */
export function createMethods(context: MethodContext): Record<string, MethodHandler> {
  const toolkit = createToolkit(context);
  return {
    ...clusterMethods(toolkit),
    ...accountMethods(toolkit),
    ...tokenMethods(toolkit),
    ...feeMethods(toolkit),
    ...submissionMethods(toolkit),
    ...historyMethods(toolkit),
  };
}

/**
 * Every JSON-RPC method the server answers; any other method gets `-32601`.
 *
 * @example
 * ```ts
 * if (!(SUPPORTED_METHODS as readonly string[]).includes(method)) throw new Error(`${method} needs a real cluster`);
 * ```
 */
export const SUPPORTED_METHODS = [
  'getHealth',
  'getVersion',
  'getSlot',
  'getBlockHeight',
  'getEpochInfo',
  'getLatestBlockhash',
  'isBlockhashValid',
  'getBalance',
  'getAccountInfo',
  'getMultipleAccounts',
  'getTokenAccountBalance',
  'getTokenAccountsByOwner',
  'getMinimumBalanceForRentExemption',
  'getFeeForMessage',
  'getRecentPrioritizationFees',
  'requestAirdrop',
  'sendTransaction',
  'simulateTransaction',
  'getSignatureStatuses',
  'getTransaction',
] as const;
