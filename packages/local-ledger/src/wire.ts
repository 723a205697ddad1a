import {
  getBase58Decoder,
  getBase58Encoder,
  getBase64Encoder,
  getAddressDecoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type Address,
  type Signature,
  type Transaction,
} from '@solana/kit';
import { RpcError, RPC_ERROR } from './json-rpc.js';

/** The compute budget program, whose instructions set the priority fee. */
export const COMPUTE_BUDGET_PROGRAM = 'ComputeBudget111111111111111111111111111111' as Address;

/** Bytes of an address lookup table account before its address list (agave `LOOKUP_TABLE_META_SIZE`). */
const LOOKUP_TABLE_META_SIZE = 56;
const DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT = 200_000n;
const MAX_COMPUTE_UNIT_LIMIT = 1_400_000n;

// Codecs are built once: building them per request is a measurable share of a send.
const transactionDecoder = getTransactionDecoder();
const messageDecoder = getCompiledTransactionMessageDecoder();
const base58Decoder = getBase58Decoder();
const base58Encoder = getBase58Encoder();
const base64Encoder = getBase64Encoder();
const addressDecoder = getAddressDecoder();

/** Encodings `sendTransaction` / `simulateTransaction` accept. */
export type WireEncoding = 'base58' | 'base64';

/** One compiled instruction of a decoded message. */
export interface DecodedInstruction {
  programIdIndex: number;
  accounts: number[];
  data: Uint8Array;
}

/** A wire transaction decoded far enough to check, execute and report it. */
export interface DecodedTransaction {
  /** kit's form, which LiteSVM executes. */
  transaction: Transaction;
  /** The exact bytes the client sent. */
  wire: Uint8Array;
  /** The first signature: the transaction id. */
  signature: Signature;
  /** Every signature in order, base58. */
  signatures: string[];
  version: 'legacy' | 0;
  recentBlockhash: string;
  header: {
    numRequiredSignatures: number;
    numReadonlySignedAccounts: number;
    numReadonlyUnsignedAccounts: number;
  };
  staticAccounts: Address[];
  instructions: DecodedInstruction[];
  addressTableLookups: {
    accountKey: Address;
    writableIndexes: number[];
    readonlyIndexes: number[];
  }[];
}

/**
 * Decodes a transaction as sent to `sendTransaction`, answering `-32602` the way a validator
 * does for bytes it cannot deserialize.
 */
export function decodeWireTransaction(encoded: string, encoding: WireEncoding): DecodedTransaction {
  let wire: Uint8Array;
  try {
    wire =
      encoding === 'base58'
        ? toBytes(base58Encoder.encode(encoded))
        : toBytes(base64Encoder.encode(encoded));
  } catch {
    throw new RpcError(
      RPC_ERROR.INVALID_PARAMS,
      `invalid transaction: invalid ${encoding} encoding`,
    );
  }
  return decodeTransactionBytes(wire);
}

/** Decodes raw wire-format transaction bytes (see {@link decodeWireTransaction}). */
export function decodeTransactionBytes(wire: Uint8Array): DecodedTransaction {
  let transaction: Transaction;
  let message: ReturnType<typeof messageDecoder.decode>;
  try {
    transaction = transactionDecoder.decode(wire);
    message = messageDecoder.decode(transaction.messageBytes);
  } catch (e) {
    throw new RpcError(
      RPC_ERROR.INVALID_PARAMS,
      `failed to deserialize solana_transaction::versioned::VersionedTransaction: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (message.version !== 'legacy' && message.version !== 0) {
    throw new RpcError(
      RPC_ERROR.INVALID_PARAMS,
      `invalid transaction: unsupported transaction version ${String(message.version)}`,
    );
  }
  const base58 = base58Decoder;
  const signatures = Object.values(transaction.signatures).map((s) =>
    base58.decode(s ?? new Uint8Array(64)),
  );
  const legacyOrV0 = message as typeof message & {
    version: 'legacy' | 0;
    staticAccounts: Address[];
    instructions: { programAddressIndex: number; accountIndices?: number[]; data?: Uint8Array }[];
    addressTableLookups?: {
      lookupTableAddress: Address;
      writableIndexes: readonly number[];
      readonlyIndexes: readonly number[];
    }[];
  };
  return {
    transaction,
    wire,
    signature: (signatures[0] ?? base58.decode(new Uint8Array(64))) as Signature,
    signatures,
    version: legacyOrV0.version,
    recentBlockhash: message.lifetimeToken,
    header: {
      numRequiredSignatures: legacyOrV0.header.numSignerAccounts,
      numReadonlySignedAccounts: legacyOrV0.header.numReadonlySignerAccounts,
      numReadonlyUnsignedAccounts: legacyOrV0.header.numReadonlyNonSignerAccounts,
    },
    staticAccounts: legacyOrV0.staticAccounts,
    instructions: legacyOrV0.instructions.map((ix) => ({
      programIdIndex: ix.programAddressIndex,
      accounts: [...(ix.accountIndices ?? [])],
      data: toBytes(ix.data ?? new Uint8Array()),
    })),
    addressTableLookups: (legacyOrV0.addressTableLookups ?? []).map((l) => ({
      accountKey: l.lookupTableAddress,
      writableIndexes: [...l.writableIndexes],
      readonlyIndexes: [...l.readonlyIndexes],
    })),
  };
}

/** Addresses a v0 message loads from lookup tables, resolved against current table state. */
export interface LoadedAddresses {
  writable: Address[];
  readonly: Address[];
}

/**
 * Resolves a message's lookup-table addresses. `readTable` returns a table account's data,
 * or undefined when the table does not exist (the addresses are then left out).
 */
export function resolveLoadedAddresses(
  tx: DecodedTransaction,
  readTable: (address: Address) => Uint8Array | undefined,
): LoadedAddresses {
  const loaded: LoadedAddresses = { writable: [], readonly: [] };
  const decoder = addressDecoder;
  for (const lookup of tx.addressTableLookups) {
    const data = readTable(lookup.accountKey);
    if (data === undefined) continue;
    const at = (i: number): Address | undefined => {
      const start = LOOKUP_TABLE_META_SIZE + i * 32;
      return start + 32 <= data.length
        ? decoder.decode(data.subarray(start, start + 32))
        : undefined;
    };
    for (const i of lookup.writableIndexes) {
      const a = at(i);
      if (a !== undefined) loaded.writable.push(a);
    }
    for (const i of lookup.readonlyIndexes) {
      const a = at(i);
      if (a !== undefined) loaded.readonly.push(a);
    }
  }
  return loaded;
}

/** All account keys in the order a validator reports balances: static, loaded writable, loaded readonly. */
export function allAccountKeys(tx: DecodedTransaction, loaded: LoadedAddresses): Address[] {
  return [...tx.staticAccounts, ...loaded.writable, ...loaded.readonly];
}

/** Which of the keys from {@link allAccountKeys} the message write-locks. */
export function writableAccountKeys(tx: DecodedTransaction, loaded: LoadedAddresses): Address[] {
  const { numRequiredSignatures, numReadonlySignedAccounts, numReadonlyUnsignedAccounts } =
    tx.header;
  const writable: Address[] = [];
  tx.staticAccounts.forEach((key, i) => {
    const isWritable =
      i < numRequiredSignatures
        ? i < numRequiredSignatures - numReadonlySignedAccounts
        : i < tx.staticAccounts.length - numReadonlyUnsignedAccounts;
    if (isWritable) writable.push(key);
  });
  return [...writable, ...loaded.writable];
}

/** The compute-unit price (micro-lamports) and limit a message asks for. */
export interface ComputeBudgetRequest {
  microLamportsPerComputeUnit: bigint;
  computeUnitLimit: bigint;
}

/** Reads SetComputeUnitLimit / SetComputeUnitPrice, with the runtime's defaults otherwise. */
export function computeBudgetOf(tx: DecodedTransaction): ComputeBudgetRequest {
  let price = 0n;
  let limit: bigint | undefined;
  let otherInstructions = 0n;
  for (const ix of tx.instructions) {
    if (tx.staticAccounts[ix.programIdIndex] !== COMPUTE_BUDGET_PROGRAM) {
      otherInstructions += 1n;
      continue;
    }
    const view = new DataView(ix.data.buffer, ix.data.byteOffset, ix.data.byteLength);
    if (ix.data[0] === 2 && ix.data.length >= 5) limit = BigInt(view.getUint32(1, true));
    if (ix.data[0] === 3 && ix.data.length >= 9) price = view.getBigUint64(1, true);
  }
  const computeUnitLimit = limit ?? otherInstructions * DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT;
  return {
    microLamportsPerComputeUnit: price,
    computeUnitLimit:
      computeUnitLimit > MAX_COMPUTE_UNIT_LIMIT ? MAX_COMPUTE_UNIT_LIMIT : computeUnitLimit,
  };
}

/** The prioritization fee in lamports: ceil(price × limit / 1e6), as the runtime charges it. */
export function prioritizationFee(request: ComputeBudgetRequest): bigint {
  const microLamports = request.microLamportsPerComputeUnit * request.computeUnitLimit;
  return (microLamports + 999_999n) / 1_000_000n;
}

function toBytes(bytes: Uint8Array | ArrayLike<number>): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
}
