/**
 * The local ledger's own send+status ceiling, in a process of its own: the same kind of
 * client as the worker (kit's JSON-RPC client; with `batched`, over the worker's own
 * batching transport, so that `inFlight` sends go as one JSON-RPC batch as the worker sends
 * a claimed batch) sends `count` pre-signed SOL transfers shaped as the signer builds them
 * (a compute-unit limit, then the transfer: the node's cost per transaction grows with its
 * instructions and accounts, so a bare transfer would flatter the ceiling), at most
 * `inFlight` at once, while
 * a second loop polls `getSignatureStatuses` (256 signatures a call) until every one is
 * `confirmed`. No database, no bookkeeping: what the ledger itself can take.
 *
 * Receives {@link LedgerCeilingSpec} over IPC, answers with {@link LedgerCeilingResult}.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createSolanaRpcFromTransport,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Signature,
} from '@solana/kit';
import { getSetComputeUnitLimitInstruction } from '@solana-program/compute-budget';
import { getTransferSolInstruction } from '@solana-program/system';
import { defaultComputeUnitLimit } from '@waiaas/solana-signer';
import { createBatchingTransport } from '@waiaas/confirmation-worker/batch-transport';

/**
 * @example
 * ```ts
 * const spec: LedgerCeilingSpec = { rpcUrl: 'http://127.0.0.1:37001', count: 3000, inFlight: 100, batched: true };
 * ```
 */
export interface LedgerCeilingSpec {
  rpcUrl: string;
  count: number;
  inFlight: number;
  /** Calls made together share one HTTP request (a JSON-RPC batch), as the worker's do. */
  batched: boolean;
}

/**
 * @example
 * ```ts
 * const { perSecond }: LedgerCeilingResult = await measureLedgerCeiling(spec);
 * ```
 */
export interface LedgerCeilingResult {
  /** Confirmed transfers per second, from the first accepted send to the last confirmation seen. */
  perSecond: number;
  confirmed: number;
  seconds: number;
}

const STATUS_CHUNK = 256;
const PAYERS = 8;

async function measure(spec: LedgerCeilingSpec): Promise<LedgerCeilingResult> {
  const rpc = spec.batched
    ? createSolanaRpcFromTransport(
        createBatchingTransport({
          url: spec.rpcUrl,
          maxBatch: spec.inFlight,
          timeoutMs: 60_000,
          retries: 0,
        }),
      )
    : createSolanaRpc(spec.rpcUrl);
  const payers = await Promise.all(Array.from({ length: PAYERS }, () => generateKeyPairSigner()));
  const recipient = await generateKeyPairSigner();
  const funding = await Promise.all(
    [...payers, recipient].map((p) =>
      rpc.requestAirdrop(p.address, lamports(100_000_000_000n)).send(),
    ),
  );
  await waitConfirmed(rpc, funding);

  // Signed before the clock starts: only sending and tracking are measured.
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  const wires: string[] = [];
  const signatures: Signature[] = [];
  const units = defaultComputeUnitLimit({ kind: 'SOL', memoBytes: 0, createsAta: false });
  for (let i = 0; i < spec.count; i++) {
    const payer = payers[i % PAYERS]!;
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
      (m) => appendTransactionMessageInstruction(getSetComputeUnitLimitInstruction({ units }), m),
      (m) =>
        appendTransactionMessageInstruction(
          getTransferSolInstruction({
            source: payer,
            destination: recipient.address,
            amount: 1_000n + BigInt(i),
          }),
          m,
        ),
    );
    const signed = await signTransactionMessageWithSigners(message);
    wires.push(getBase64EncodedWireTransaction(signed));
    signatures.push(getSignatureFromTransaction(signed));
  }

  const sent: Signature[] = [];
  let sending = true;
  let firstAck = 0;
  const started = performance.now();
  const sender = (async () => {
    for (let i = 0; i < wires.length; i += spec.inFlight) {
      await Promise.all(
        wires.slice(i, i + spec.inFlight).map(async (wire, j) => {
          await rpc
            .sendTransaction(wire as never, {
              encoding: 'base64',
              skipPreflight: true,
              maxRetries: 0n,
            })
            .send();
          if (firstAck === 0) firstAck = performance.now();
          sent.push(signatures[i + j]!);
        }),
      );
    }
    sending = false;
  })();
  const pending = new Set<Signature>();
  let confirmed = 0;
  let lastConfirmed = started;
  while (sending || pending.size > 0 || sent.length > 0) {
    for (const s of sent.splice(0)) pending.add(s);
    const list = [...pending];
    for (let i = 0; i < list.length; i += STATUS_CHUNK) {
      const chunk = list.slice(i, i + STATUS_CHUNK);
      const { value } = await rpc.getSignatureStatuses(chunk).send();
      value.forEach((status, k) => {
        if (
          status?.confirmationStatus === 'confirmed' ||
          status?.confirmationStatus === 'finalized'
        ) {
          pending.delete(chunk[k]!);
          confirmed += 1;
          lastConfirmed = performance.now();
        }
      });
    }
    if (pending.size > 0 || sending) await sleep(20);
  }
  await sender;
  const seconds = (lastConfirmed - firstAck) / 1000;
  return { perSecond: confirmed / seconds, confirmed, seconds };
}

async function waitConfirmed(
  rpc: Pick<ReturnType<typeof createSolanaRpc>, 'getSignatureStatuses'>,
  signatures: readonly Signature[],
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { value } = await rpc.getSignatureStatuses(signatures).send();
    if (
      value.every(
        (s) => s?.confirmationStatus === 'confirmed' || s?.confirmationStatus === 'finalized',
      )
    )
      return;
    await sleep(100);
  }
  throw new Error('airdrops to the ceiling payers never confirmed');
}

process.once('message', (spec: LedgerCeilingSpec) => {
  measure(spec).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { ok: false, error: error instanceof Error ? error.stack : String(error) },
        () => process.exit(1),
      ),
  );
});
