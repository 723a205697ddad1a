// Build + sign throughput of a SOL transfer, before and after in the same run: "before" is
// kit's own path as buildTransfer/signTransfer used it (kit's compileTransaction; the local
// keystore signing through WebCrypto; kit's verifySignature after every signature; the wire
// bytes encoded twice), written out here; "after" is this package's buildTransfer and
// signTransfer with the local keystore. Keys are already open on both sides (the keystore's
// cache), and the keystore sits on an in-memory store, so no database is needed:
//   pnpm --filter @waiaas/solana-signer bench:build-sign
// Figures on a shared machine move from run to run; read the ratios.
import { randomBytes } from 'node:crypto';
import {
  type ReadonlyUint8Array,
  type SignatureBytes,
  type Transaction,
  appendTransactionMessageInstructions,
  blockhash,
  compileTransaction,
  createNoopSigner,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  getPublicKeyFromAddress,
  getSignatureFromTransaction,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signBytes,
  verifySignature,
} from '@solana/kit';
import { getSetComputeUnitLimitInstruction } from '@solana-program/compute-budget';
import { getTransferSolInstruction } from '@solana-program/system';
import { Bench } from 'tinybench';
import {
  type KeyCustody,
  type LocalKeyRecord,
  type LocalKeyStore,
  LocalKeystoreCustody,
  buildTransfer,
  loadMasterKeys,
  planTransfer,
  signTransfer,
  signWithCustody,
} from '../src/index.js';

/** The `local_keys` table in a Map: the bench measures signing, not PostgreSQL. */
function memoryStore(): LocalKeyStore {
  const rows = new Map<string, LocalKeyRecord>();
  return {
    localKey: {
      create: ({ data }) => Promise.resolve(rows.set(data.address, data)),
      findUnique: ({ where }) => Promise.resolve(rows.get(where.address) ?? null),
      update: ({ where, data }) =>
        Promise.resolve(rows.set(where.address, { address: where.address, ...data })),
    },
  };
}

const masterKeys = loadMasterKeys({ key: randomBytes(32).toString('base64') });
const custody = new LocalKeystoreCustody(memoryStore(), masterKeys);
const { address: from } = await custody.createWallet();
const to = (await generateKeyPairSigner()).address;
const lifetime = {
  blockhash: blockhash('4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY'),
  lastValidBlockHeight: 150n,
};
const sol = { kind: 'SOL' as const, from, to, amount: 1_000_000n, lifetime };
const computeUnitLimit = 600;

// "Before": a WebCrypto key pair like the one the keystore used to keep open.
const webCrypto = await generateKeyPairSigner();
const webCryptoPublicKey = await getPublicKeyFromAddress(webCrypto.address);
const randomMessage = randomBytes(200);

/** kit's path: WebCrypto sign, then the verification signWithCustody did after every signature. */
async function signAndVerifyWithKit(message: ReadonlyUint8Array): Promise<SignatureBytes> {
  const signature = await signBytes(webCrypto.keyPair.privateKey, message);
  if (!(await verifySignature(webCryptoPublicKey, signature, message))) {
    throw new Error('verify failed');
  }
  return signature;
}

/** kit's path: the message buildTransfer makes for a SOL transfer, compiled by kit. */
function buildWithKit(): Transaction {
  const payer = createNoopSigner(from);
  planTransfer({
    kind: 'SOL',
    memo: false,
    createsDestinationAta: false,
    computeUnitLimit,
    priorityFeeMicroLamports: 0n,
  });
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) =>
      appendTransactionMessageInstructions(
        [
          getSetComputeUnitLimitInstruction({ units: computeUnitLimit }),
          getTransferSolInstruction({ source: payer, destination: to, amount: sol.amount }),
        ],
        m,
      ),
  );
  return compileTransaction(message);
}

/** kit's path: signed and verified, the wire bytes encoded twice. */
async function signWithKit(transaction: Transaction): Promise<number> {
  const signature = await signAndVerifyWithKit(transaction.messageBytes);
  const signed = { ...transaction, signatures: { [webCrypto.address]: signature } };
  return (
    getSignatureFromTransaction(signed).length +
    getBase64EncodedWireTransaction(signed).length +
    getTransactionEncoder().encode(signed).length
  );
}

/** Custody in another service (Turnkey): every signature is verified (node:crypto now). */
const remote: KeyCustody = {
  kind: 'TURNKEY',
  createWallet: () => Promise.reject(new Error('not used')),
  signMessage: (address, message) => custody.signMessage(address, message),
};

let sink = 0;
const pairs: [string, () => unknown, () => unknown][] = [
  [
    'build SOL transfer',
    () => (sink += buildWithKit().messageBytes.length),
    async () => (sink += (await buildTransfer({ ...sol, computeUnitLimit })).messageBytes.length),
  ],
  [
    // Before: WebCrypto sign and verify. After: node:crypto sign, no verify (key checked once).
    'signWithCustody, local keystore',
    async () => (sink += (await signAndVerifyWithKit(randomMessage)).length),
    async () => (sink += (await signWithCustody(custody, from, randomMessage)).length),
  ],
  [
    // Before: WebCrypto sign and verify. After: node:crypto sign and verify.
    'signWithCustody, custody elsewhere',
    async () => (sink += (await signAndVerifyWithKit(randomMessage)).length),
    async () => (sink += (await signWithCustody(remote, from, randomMessage)).length),
  ],
  [
    'build + sign SOL transfer',
    async () => (sink += await signWithKit(buildWithKit())),
    async () =>
      (sink += (await signTransfer(await buildTransfer({ ...sol, computeUnitLimit }), custody))
        .wireBytes.length),
  ],
];

const bench = new Bench({ name: 'build-sign', time: 2_000, warmupTime: 300 });
for (const [name, before, after] of pairs) {
  bench.add(`${name}: before`, before).add(`${name}: after`, after);
}
await bench.run();

const opsPerSecond = (name: string): number => {
  const result = bench.getTask(name)!.result;
  if (result.state !== 'completed') throw new Error(`${name}: ${result.state}`);
  return result.throughput.mean;
};
const rows = pairs.map(([name]) => {
  const before = opsPerSecond(`${name}: before`);
  const after = opsPerSecond(`${name}: after`);
  return {
    scenario: name,
    'before ops/s': Math.round(before).toLocaleString('en-US'),
    'after ops/s': Math.round(after).toLocaleString('en-US'),
    'before µs/op': (1e6 / before).toFixed(0),
    'after µs/op': (1e6 / after).toFixed(0),
    speed: `×${(after / before).toFixed(1)}`,
  };
});
console.log(
  `@waiaas/solana-signer build + sign, ${process.version}, pid ${process.pid} (sink ${sink > 0 ? 'ok' : 'empty'})`,
);
console.table(rows);
