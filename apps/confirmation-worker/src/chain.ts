import {
  getBase64Decoder,
  type Base64EncodedWireTransaction,
  type Rpc,
  type Signature,
  type SolanaRpcApi,
} from '@solana/kit';
import type { WorkerMetrics } from './metrics.js';

/**
 * `getSignatureStatuses` accepts at most this many signatures per call.
 *
 * @example
 * ```ts
 * const calls = Math.ceil(signatures.length / MAX_SIGNATURES_PER_STATUS_CALL);
 * ```
 */
export const MAX_SIGNATURES_PER_STATUS_CALL = 256;

/**
 * What the cluster knows about one signature.
 *
 * @example
 * ```ts
 * const [status] = await chain.signatureStatuses([signature], true);
 * if (status?.confirmationStatus === 'finalized' && status.err === null) done();
 * ```
 */
export interface SignatureStatus {
  slot: bigint;
  /** The on-chain error, or null for success. */
  err: unknown;
  confirmationStatus: 'processed' | 'confirmed' | 'finalized' | null;
}

/**
 * The slice of the Solana RPC the worker uses; the seam for its domain classes.
 *
 * @example
 * ```ts
 * const chain: Chain = new KitChain(createRpc({ url }), metrics);
 * await chain.send(row.wireTransaction); // the stored bytes, as they are
 * ```
 */
export interface Chain {
  /**
   * Sends signed wire bytes as they are (`skipPreflight`, `maxRetries: 0`: the worker is the
   * retry loop). Throws when the RPC did not accept them; the outcome is then unknown.
   */
  send(wire: Uint8Array): Promise<void>;
  /** Statuses in input order (null: never seen), in calls of at most 256. */
  signatureStatuses(
    signatures: readonly string[],
    searchTransactionHistory: boolean,
  ): Promise<(SignatureStatus | null)[]>;
  /** The chain's block height at `commitment`. */
  blockHeight(commitment: 'confirmed' | 'finalized'): Promise<bigint>;
  /**
   * The fee a landed transaction paid: `undefined` while it is not visible at `commitment`,
   * `null` when the node keeps no meta for it.
   */
  fee(signature: string, commitment: 'confirmed' | 'finalized'): Promise<bigint | null | undefined>;
}

/**
 * {@link Chain} over a kit RPC client (build it with `createRpc` from `@waiaas/solana-signer`
 * for timeouts and transient-only retries), timing every call.
 *
 * @example
 * ```ts
 * const chain = new KitChain(createRpc({ url, timeoutMs: 5_000, retries: 2 }), metrics);
 * const height = await chain.blockHeight('finalized');
 * ```
 */
export class KitChain implements Chain {
  private readonly base64 = getBase64Decoder();

  constructor(
    private readonly rpc: Rpc<SolanaRpcApi>,
    private readonly metrics: WorkerMetrics,
  ) {}

  async send(wire: Uint8Array): Promise<void> {
    const encoded = this.base64.decode(wire) as Base64EncodedWireTransaction;
    // skipPreflight: preflight simulates against the RPC node's own (possibly lagging) bank and
    // refuses a rebroadcast of bytes that already landed (AlreadyProcessed) or whose blockhash
    // that node has not seen yet; either refusal would stop rebroadcasts that are still
    // needed. The chain's verdict (status `err`) is the one the worker records. The policy
    // engine and the signer validate the transfer before it is signed.
    await this.metrics.rpc('sendTransaction', () =>
      this.rpc
        .sendTransaction(encoded, { encoding: 'base64', skipPreflight: true, maxRetries: 0n })
        .send(),
    );
  }

  async signatureStatuses(
    signatures: readonly string[],
    searchTransactionHistory: boolean,
  ): Promise<(SignatureStatus | null)[]> {
    const out: (SignatureStatus | null)[] = [];
    for (let i = 0; i < signatures.length; i += MAX_SIGNATURES_PER_STATUS_CALL) {
      const chunk = signatures.slice(i, i + MAX_SIGNATURES_PER_STATUS_CALL) as Signature[];
      const { value } = await this.metrics.rpc('getSignatureStatuses', () =>
        this.rpc.getSignatureStatuses(chunk, { searchTransactionHistory }).send(),
      );
      for (const status of value) {
        out.push(
          status === null
            ? null
            : { slot: status.slot, err: status.err, confirmationStatus: status.confirmationStatus },
        );
      }
    }
    return out;
  }

  async blockHeight(commitment: 'confirmed' | 'finalized'): Promise<bigint> {
    return this.metrics.rpc('getBlockHeight', () => this.rpc.getBlockHeight({ commitment }).send());
  }

  async fee(
    signature: string,
    commitment: 'confirmed' | 'finalized',
  ): Promise<bigint | null | undefined> {
    const tx = await this.metrics.rpc('getTransaction', () =>
      this.rpc
        .getTransaction(signature as Signature, {
          commitment,
          // Only meta.fee is read: base64 spares the node decoding the message to JSON.
          encoding: 'base64',
          maxSupportedTransactionVersion: 0,
        })
        .send(),
    );
    if (tx === null) return undefined;
    return tx.meta === null ? null : BigInt(tx.meta.fee);
  }
}
