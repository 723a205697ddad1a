// Build and sign throughput, and what it costs above its ceilings measured in the same run:
// a bare Ed25519 signature with a key already in memory, and a bare primary-key lookup of
// the sealed key. Run with `pnpm --filter @waiaas/solana-signer bench` and DATABASE_URL set
// to a PostgreSQL server (a scratch database is created, migrated and dropped).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { address, blockhash, generateKeyPairSigner } from '@solana/kit';
import { createPrismaClient, migrate } from '@waiaas/database';
import { Bench } from 'tinybench';
import {
  LocalKeystoreCustody,
  TOKEN_PROGRAM_ADDRESS,
  buildTransfer,
  loadMasterKeys,
  signTransfer,
} from '../src/index.js';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('DATABASE_URL is required');
const name = `waiaas_bench_signer_${randomBytes(4).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const admin = createPrismaClient({ url: adminUrl, poolSize: 1 });
await admin.$executeRawUnsafe(`CREATE DATABASE "${name}"`);
const prisma = createPrismaClient({ url: url.toString(), poolSize: 4 });

try {
  await migrate({ connectionString: url.toString() });
  const custody = new LocalKeystoreCustody(
    prisma,
    loadMasterKeys({ key: randomBytes(32).toString('base64') }),
  );
  const wallet = await custody.createWallet();
  const held = generateKeyPairSync('ed25519');
  const to = (await generateKeyPairSigner()).address;
  const mint = address('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v');
  const lifetime = {
    blockhash: blockhash('4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY'),
    lastValidBlockHeight: 150n,
  };
  const message = randomBytes(200);
  const sol = {
    kind: 'SOL' as const,
    from: wallet.address,
    to,
    amount: 1_000_000n,
    lifetime,
    priorityFee: { microLamports: 1_000n },
  };
  const token = {
    kind: 'TOKEN' as const,
    from: wallet.address,
    to,
    mint,
    amount: 1_000_000n,
    lifetime,
    mintInfo: { address: mint, programAddress: TOKEN_PROGRAM_ADDRESS, decimals: 6 },
    createRecipientAta: 'always' as const,
  };

  let sink = 0;
  const bench = new Bench({ name: 'signer', time: 2_000, warmupTime: 300 });
  bench
    .add('ceiling: Ed25519 sign, key in memory (node:crypto)', () => {
      sink += sign(null, message, held.privateKey).length;
    })
    .add('ceiling: local_keys primary-key lookup', async () => {
      sink += (await prisma.localKey.findUnique({ where: { address: wallet.address } }))!.nonce
        .length;
    })
    .add('LocalKeystoreCustody.signMessage', async () => {
      sink += (await custody.signMessage(wallet.address, message)).length;
    })
    .add('buildTransfer SOL (offline)', async () => {
      sink += (await buildTransfer(sol)).messageBytes.length;
    })
    .add('buildTransfer token + ATA (offline)', async () => {
      sink += (await buildTransfer(token)).messageBytes.length;
    })
    .add('buildTransfer SOL + signTransfer (local keystore)', async () => {
      sink += (await signTransfer(await buildTransfer(sol), custody)).wireBytes.length;
    });
  await bench.run();

  const mean = (i: number) =>
    bench.tasks[i]!.result.state === 'completed'
      ? (bench.tasks[i]!.result as { latency: { mean: number } }).latency.mean
      : NaN;
  const ceiling = mean(0) + mean(1);
  const rows = bench.tasks.map((task, i) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    return {
      scenario: task.name,
      'ops/s': Math.round(result.throughput.mean).toLocaleString('en-US'),
      'ms/op (mean)': result.latency.mean.toFixed(3),
      'ms/op (p99)': (result.latency.p99 ?? NaN).toFixed(3),
      'x ceiling (sign+lookup)': i >= 2 ? (result.latency.mean / ceiling).toFixed(2) : '',
      samples: result.latency.samplesCount,
    };
  });
  console.log(
    `@waiaas/solana-signer on ${process.version}, pid ${process.pid} (sink ${sink > 0 ? 'ok' : 'empty'})`,
  );
  console.table(rows);
} finally {
  await prisma.$disconnect();
  await admin.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.$disconnect();
}
