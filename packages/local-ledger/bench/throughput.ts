// sendTransaction + confirmation throughput of the local ledger over HTTP, through kit.
// Usage: pnpm --filter @waiaas/local-ledger bench [-- <transactions> <concurrency>]
import { createSolanaRpc, generateKeyPairSigner, type Signature } from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { startLocalLedger } from '@waiaas/local-ledger';
import { buildTransaction } from '../test/helpers.js';

const total = Number(process.argv[2] ?? 2_000);
const concurrency = Number(process.argv[3] ?? 32);

const ledger = await startLocalLedger({ port: 0, slotMs: 0 });
const rpc = createSolanaRpc(ledger.url);
const payers = await Promise.all(
  Array.from({ length: concurrency }, () => generateKeyPairSigner()),
);
for (const payer of payers) await ledger.airdrop(payer.address, 1_000_000_000_000n);
const destination = await generateKeyPairSigner();
const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();

// Sign everything first so the measurement is the ledger, not WebCrypto.
const wires = await Promise.all(
  Array.from({ length: total }, (_, i) =>
    buildTransaction(
      payers[i % concurrency]!,
      [
        getTransferSolInstruction({
          source: payers[i % concurrency]!,
          destination: destination.address,
          amount: 1_000_000n + BigInt(i),
        }),
      ],
      lifetime,
    ),
  ),
);

function row(name: string, count: number, ms: number): string {
  return `| ${name.padEnd(34)} | ${String(count).padStart(6)} | ${ms.toFixed(0).padStart(8)} | ${((count / ms) * 1000).toFixed(0).padStart(8)} |`;
}

const lines = [
  '| phase                              |  count |  time ms |    per s |',
  '| --- | ---: | ---: | ---: |',
];

let started = performance.now();
const signatures: Signature[] = [];
for (let i = 0; i < wires.length; i += concurrency) {
  const batch = wires.slice(i, i + concurrency);
  signatures.push(
    ...(await Promise.all(
      batch.map((w) => rpc.sendTransaction(w.wire, { encoding: 'base64' }).send()),
    )),
  );
}
lines.push(
  row(`sendTransaction (preflight, ${concurrency} in flight)`, total, performance.now() - started),
);

started = performance.now();
ledger.advanceSlots(32);
let finalized = 0;
for (let i = 0; i < signatures.length; i += 256) {
  const { value } = await rpc.getSignatureStatuses(signatures.slice(i, i + 256)).send();
  finalized += value.filter((s) => s?.confirmationStatus === 'finalized').length;
}
lines.push(row('getSignatureStatuses (256 per call)', finalized, performance.now() - started));

started = performance.now();
for (let i = 0; i < 500; i++) await rpc.getBalance(destination.address).send();
lines.push(row('getBalance (sequential)', 500, performance.now() - started));

console.log(lines.join('\n'));
if (finalized !== total) throw new Error(`expected ${total} finalized, found ${finalized}`);
await ledger.close();
