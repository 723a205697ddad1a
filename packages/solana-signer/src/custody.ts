import {
  type Address,
  type MessagePartialSigner,
  type ReadonlyUint8Array,
  type SignatureBytes,
  type SignatureDictionary,
  type TransactionPartialSigner,
  isSignatureBytes,
} from '@solana/kit';
import { verifyEd25519 } from './ed25519.js';
import { SignerError } from './errors.js';

/**
 * Where a wallet's key lives. Matches the `custody` column of the `wallets` table.
 *
 * @example
 * ```ts
 * const kind: CustodyKind = turnkeyConfig ? 'TURNKEY' : 'LOCAL';
 * ```
 */
export type CustodyKind = 'TURNKEY' | 'LOCAL';

/**
 * A wallet just created in custody.
 *
 * @example
 * ```ts
 * const { address, custodyRef, kind }: CustodyWallet = await custody.createWallet();
 * ```
 */
export interface CustodyWallet {
  /** The Solana address (base58 Ed25519 public key); the wallet is its own fee payer. */
  address: Address;
  /** Turnkey wallet id for `TURNKEY`, `null` for `LOCAL` (the address is the key). */
  custodyRef: string | null;
  kind: CustodyKind;
}

/**
 * Options for {@link KeyCustody.createWallet}.
 *
 * @example
 * ```ts
 * await custody.createWallet({ name: `agent-${agentId}` });
 * ```
 */
export interface CreateWalletOptions {
  /** Human-readable label (Turnkey's `walletName`; unique per Turnkey organisation). Ignored by the local keystore. */
  name?: string;
}

/**
 * A place that holds Ed25519 private keys and signs with them; keys never leave it.
 *
 * @example
 * ```ts
 * const { address } = await custody.createWallet();
 * const signature = await custody.signMessage(address, messageBytes); // 64 bytes
 * ```
 */
export interface KeyCustody {
  readonly kind: CustodyKind;
  /**
   * `true` when the custody runs in this process and checks, once per key as it opens it, that
   * the key's public key is the address it signs for. An Ed25519 signature made by the right
   * key always verifies, so {@link signWithCustody} does not verify each one again; a custody
   * in another service (Turnkey) leaves this unset, and each signature it returns is verified.
   */
  readonly checksKeysAgainstAddresses?: boolean;
  /** Creates a new key/wallet and returns its address and custody reference. */
  createWallet(opts?: CreateWalletOptions): Promise<CustodyWallet>;
  /**
   * Signs `message` (for a transaction: the compiled message bytes) with the key of
   * `address` and returns the 64-byte Ed25519 signature. Throws a `SignerError`
   * (`CUSTODY_KEY_NOT_FOUND`, `CUSTODY_SIGNING_FAILED`, ...).
   */
  signMessage(address: Address, message: ReadonlyUint8Array): Promise<Uint8Array>;
}

/**
 * Options for {@link createCustodySigner}.
 *
 * @example
 * ```ts
 * const signer = createCustodySigner(custody, address, { verify: true });
 * ```
 */
export interface CustodySignerOptions {
  /**
   * Verify each signature against the address before handing it out (default `true`, unless
   * the custody {@link KeyCustody.checksKeysAgainstAddresses | checks its keys} itself). A
   * custody answering with a signature by another key would otherwise only be noticed when the
   * cluster rejects the transaction, after it was recorded as signed.
   */
  verify?: boolean;
}

/**
 * Signs `message` with `custody` for `address` and checks the result is a valid Ed25519
 * signature of that address over the message (a custody that checks its keys against their
 * addresses, such as the local keystore, is trusted for that: see
 * {@link KeyCustody.checksKeysAgainstAddresses}).
 *
 * @example
 * ```ts
 * const sig = await signWithCustody(custody, address, tx.messageBytes);
 * ```
 */
export async function signWithCustody(
  custody: KeyCustody,
  address: Address,
  message: ReadonlyUint8Array,
  options: CustodySignerOptions = {},
): Promise<SignatureBytes> {
  const signature = await custody.signMessage(address, message);
  if (!isSignatureBytes(signature)) {
    throw new SignerError(
      'CUSTODY_SIGNING_FAILED',
      { address, reason: `signature is ${signature.length} bytes, expected 64` },
      `custody returned a malformed signature for ${address}`,
    );
  }
  if (options.verify ?? custody.checksKeysAgainstAddresses !== true) {
    if (!verifyEd25519(address, message, signature)) {
      throw new SignerError(
        'CUSTODY_SIGNING_FAILED',
        { address, reason: 'signature does not verify against the address' },
        `custody returned a signature that does not verify for ${address}`,
      );
    }
  }
  return signature;
}

/**
 * A kit signer (transaction and message partial signer) for `address` whose key is held by
 * `custody`, so custody keys plug into kit's `signTransactionMessageWithSigners` and the
 * program clients' `TransactionSigner` inputs.
 *
 * @example
 * ```ts
 * const signer = createCustodySigner(custody, wallet.address);
 * const [sigs] = await signer.signTransactions([compiledTransaction]);
 * ```
 */
export function createCustodySigner<TAddress extends string = string>(
  custody: KeyCustody,
  address: Address<TAddress>,
  options: CustodySignerOptions = {},
): TransactionPartialSigner<TAddress> & MessagePartialSigner<TAddress> {
  const sign = async (bytes: ReadonlyUint8Array): Promise<SignatureDictionary> => {
    const signature = await signWithCustody(custody, address, bytes, options);
    return Object.freeze({ [address]: signature });
  };
  return Object.freeze({
    address,
    // Sequential on purpose: custody backends are rate limited (Turnkey) or CPU bound (local).
    async signTransactions(transactions) {
      const out: SignatureDictionary[] = [];
      for (const tx of transactions) out.push(await sign(tx.messageBytes));
      return out;
    },
    async signMessages(messages) {
      const out: SignatureDictionary[] = [];
      for (const m of messages) out.push(await sign(m.content));
      return out;
    },
  } satisfies TransactionPartialSigner<TAddress> & MessagePartialSigner<TAddress>);
}
