import {
  type Address,
  type Encoder,
  type SignaturesMap,
  type Transaction,
  type TransactionMessage,
  type TransactionMessageBytes,
  type TransactionMessageWithBlockhashLifetime,
  type TransactionMessageWithFeePayer,
  type TransactionWithBlockhashLifetime,
  addEncoderSizePrefix,
  compileTransactionMessage,
  createEncoder,
  getArrayEncoder,
  getBytesEncoder,
  getShortU16Encoder,
  getStructEncoder,
  getU8Encoder,
} from '@solana/kit';
import { addressBytes } from './address-cache.js';

/**
 * kit's `compileTransaction`, byte for byte, for the messages this package builds (version 0,
 * blockhash lifetime, no address lookup tables), at a fraction of its cost. Kit's own
 * `compileTransactionMessage` still orders the accounts and makes the header and the
 * instructions' account indices, so those rules stay kit's. What is written by hand is the
 * encoding of the compiled message, the v0 wire layout of kit's message encoder, composed of
 * kit's codecs, because kit's `compileTransaction`:
 * - builds its whole message encoder anew for every transaction, and
 * - decodes every account address and the blockhash from base58 four times (two to validate
 *   the address, two to write it), the same few wallet and program addresses each time.
 * Here the encoder is built once and every 32-byte string is decoded once
 * ({@link addressBytes}). `test/compile.test.ts` compares the bytes with kit's for every kind
 * of transfer.
 */

/** A transaction message as `buildTransfer` makes it. */
export type TransferMessage = TransactionMessage &
  TransactionMessageWithFeePayer &
  TransactionMessageWithBlockhashLifetime & { version: 0 };

/** A compiled transfer: kit's `Transaction`, with the blockhash lifetime it was built with. */
export type CompiledTransfer = Transaction & TransactionWithBlockhashLifetime;

/** First byte of a version 0 message: the versioned-message flag, then the version. */
const V0_MESSAGE_PREFIX = 0x80;
const EMPTY = new Uint8Array(0);

/** A 32-byte base58 string (address or blockhash) written from its bytes, decoded once. */
const bytes32Encoder: Encoder<string> = createEncoder({
  fixedSize: 32,
  write: (text: string, bytes, offset) => {
    bytes.set(addressBytes(text), offset);
    return offset + 32;
  },
});

const u8 = getU8Encoder();
const shortU16 = getShortU16Encoder();
const messageEncoder = getStructEncoder([
  ['prefix', u8],
  [
    'header',
    getStructEncoder([
      ['numSignerAccounts', u8],
      ['numReadonlySignerAccounts', u8],
      ['numReadonlyNonSignerAccounts', u8],
    ]),
  ],
  ['staticAccounts', getArrayEncoder(bytes32Encoder, { size: shortU16 })],
  ['lifetimeToken', bytes32Encoder],
  [
    'instructions',
    getArrayEncoder(
      getStructEncoder([
        ['programAddressIndex', u8],
        ['accountIndices', getArrayEncoder(u8, { size: shortU16 })],
        ['data', addEncoderSizePrefix(getBytesEncoder(), shortU16)],
      ]),
      { size: shortU16 },
    ),
  ],
  ['addressTableLookupCount', shortU16],
]);

/**
 * Compiles a transfer message into kit's `Transaction` (message bytes, an empty signature slot
 * per signer, the blockhash lifetime): what kit's `compileTransaction` returns for it.
 *
 * @example
 * ```ts
 * const transaction = compileTransfer(message);
 * const signature = await signWithCustody(custody, feePayer, transaction.messageBytes);
 * ```
 */
export function compileTransfer(message: TransferMessage): CompiledTransfer {
  const compiled = compileTransactionMessage(message);
  if (compiled.addressTableLookups !== undefined && compiled.addressTableLookups.length > 0) {
    throw new Error('compileTransfer: address lookup tables are not supported');
  }
  const messageBytes = messageEncoder.encode({
    prefix: V0_MESSAGE_PREFIX | compiled.version,
    header: compiled.header,
    staticAccounts: compiled.staticAccounts,
    lifetimeToken: compiled.lifetimeToken,
    instructions: compiled.instructions.map((instruction) => ({
      programAddressIndex: instruction.programAddressIndex,
      accountIndices: instruction.accountIndices ?? [],
      data: instruction.data ?? EMPTY,
    })),
    addressTableLookupCount: 0,
  }) as TransactionMessageBytes;
  const signatures: Record<Address, null> = {};
  for (const signer of compiled.staticAccounts.slice(0, compiled.header.numSignerAccounts)) {
    signatures[signer] = null;
  }
  const { blockhash, lastValidBlockHeight } = message.lifetimeConstraint;
  return Object.freeze({
    lifetimeConstraint: { blockhash, lastValidBlockHeight },
    messageBytes,
    signatures: Object.freeze(signatures as SignaturesMap),
  });
}
