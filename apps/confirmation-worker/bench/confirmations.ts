/**
 * Confirmations per second against the local ledger: N signed transfers are reserved as the
 * API would (PENDING rows + NOTIFY), then K in-process workers are started and the clock runs
 * until every transfer is CONFIRMED. Needs PostgreSQL (DATABASE_URL, an admin connection: a
 * throw-away database is created and dropped). Prints a table.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm --filter @waiaas/confirmation-worker bench
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPrismaClient, SpendRepository } from '@waiaas/database';
import { migrate } from '@waiaas/database/migrator';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConfirmationWorker } from '../src/index.js';
import {
  createOwner,
  latestBlockhash,
  newAddress,
  signSolTransfer,
  silentLogger,
  testConfig,
} from '../test/helpers.js';
import { generateKeyPairSigner } from '@solana/kit';
import { Prisma } from '@waiaas/database';

/** The ledger child process (see ledger-process.ts): its URL and a command channel. */
async function startLedgerProcess() {
  const register = new URL(
    '../node_modules/@swc-node/register/esm/esm-register.mjs',
    import.meta.url,
  ).href;
  const child = spawn(
    process.execPath,
    [
      '--conditions=@waiaas/source',
      `--import=${register}`,
      fileURLToPath(new URL('./ledger-process.ts', import.meta.url)),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as { url?: string };
  const { url } = await next();
  const command = async (line: string) => {
    child.stdin.write(`${line}\n`);
    await next();
  };
  return { url: url!, command, close: () => child.kill('SIGTERM') };
}

const adminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const transfers = Number(process.env.BENCH_TRANSFERS ?? 600);
const scenarios: { workers: number; batch: number; slotMs: number }[] = [
  { workers: 1, batch: 100, slotMs: 20 },
  { workers: 1, batch: 256, slotMs: 20 },
  { workers: 3, batch: 100, slotMs: 20 },
  { workers: 1, batch: 256, slotMs: 400 },
];

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function run(scenario: { workers: number; batch: number; slotMs: number }) {
  const name = `waiaas_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(adminUrl, name);
  // The ledger's clock is stopped while the transfers are reserved (no blockhash ages), then
  // driven at `slotMs` once the workers start.
  const ledger = await startLedgerProcess();
  const prisma = createPrismaClient({ url, poolSize: 8 });
  try {
    await migrate({ connectionString: url });
    const spend = new SpendRepository(prisma);
    const owner = await createOwner(prisma);
    const senders = [];
    for (let i = 0; i < 8; i++) {
      const signer = await generateKeyPairSigner();
      const wallet = await prisma.wallet.create({
        data: { ownerId: owner.ownerId, address: signer.address, custody: 'LOCAL' },
      });
      await prisma.walletPolicy.create({
        data: {
          walletId: wallet.id,
          perTxLimit: new Prisma.Decimal('100'),
          dailyLimit: new Prisma.Decimal('100000'),
        },
      });
      await ledger.command(`airdrop ${signer.address}`);
      senders.push({ id: wallet.id, signer });
    }
    const to = await newAddress();
    for (let i = 0; i < transfers; i += senders.length) {
      const lifetime = await latestBlockhash(ledger.url);
      await ledger.command('advance'); // the transfers of one chunk share a blockhash, not a signature
      await Promise.all(
        senders.map((sender, s) =>
          spend.reserveTransfer(
            {
              walletId: sender.id,
              agentId: owner.agentId,
              idempotencyKey: `${i}-${s}`,
              asset: null,
              amount: 1_000_000n + BigInt(i + s),
              decimals: 9,
              destination: to,
              memo: null,
              now: new Date(),
            },
            () => signSolTransfer(sender.signer, to, 1_000_000n + BigInt(i + s), lifetime),
          ),
        ),
      );
    }
    const workers = await Promise.all(
      Array.from({ length: scenario.workers }, (_, w) =>
        ConfirmationWorker.create({
          config: testConfig(url, ledger.url, {
            BATCH_SIZE: String(scenario.batch),
            POLL_INTERVAL_MS: '50',
            WORKER_ID: `bench-${w}`,
          }),
          logger: silentLogger,
          defaultMetrics: false,
        }),
      ),
    );
    const started = performance.now();
    await ledger.command(`clock ${scenario.slotMs}`);
    await Promise.all(workers.map((w) => w.start()));
    let confirmed = 0;
    let firstAt = 0;
    while (confirmed < transfers) {
      await new Promise((r) => setTimeout(r, 20));
      confirmed = await prisma.transaction.count({ where: { status: 'CONFIRMED' } });
      if (firstAt === 0 && confirmed > 0) firstAt = performance.now() - started;
      const stuck = await prisma.transaction.count({ where: { status: 'FAILED' } });
      if (stuck > 0) throw new Error(`${stuck} transfers failed during the bench`);
    }
    const seconds = (performance.now() - started) / 1000;
    if (process.env.BENCH_DEBUG) {
      const text = await workers[0]!.metrics.registry.metrics();
      console.log(
        text
          .split('\n')
          .filter((l) => /_(sum|count)\{|sends_total\{|transitions_total\{/.test(l))
          .join('\n'),
      );
    }
    await Promise.all(workers.map((w) => w.stop()));
    return { ...scenario, transfers, seconds, perSecond: transfers / seconds, firstMs: firstAt };
  } finally {
    await prisma.$disconnect();
    ledger.close();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/**
 * The ceiling: the same number of transfers sent straight to the ledger process (batches of
 * 100 in parallel, as the worker sends) with no database, polling or confirmation at all.
 */
async function ceiling(): Promise<number> {
  const ledger = await startLedgerProcess();
  try {
    const signer = await generateKeyPairSigner();
    await ledger.command(`airdrop ${signer.address}`);
    const to = await newAddress();
    const rpc = (await import('@solana/kit')).createSolanaRpc(ledger.url);
    const signed = [];
    for (let i = 0; i < transfers; i++) {
      if (i % 8 === 0) await ledger.command('advance');
      signed.push(
        await signSolTransfer(
          signer,
          to,
          1_000_000n + BigInt(i),
          await latestBlockhash(ledger.url),
        ),
      );
    }
    const started = performance.now();
    for (let i = 0; i < signed.length; i += 100) {
      await Promise.all(
        signed.slice(i, i + 100).map((t) =>
          rpc
            .sendTransaction(Buffer.from(t.wireTransaction).toString('base64') as never, {
              encoding: 'base64',
              skipPreflight: true,
            })
            .send(),
        ),
      );
    }
    return transfers / ((performance.now() - started) / 1000);
  } finally {
    ledger.close();
  }
}

const ceilingPerSecond = await ceiling();
const results = [];
for (const scenario of scenarios) results.push(await run(scenario));
console.log(
  `\nconfirmation worker: ${transfers} SOL transfers each, local ledger, commitment confirmed (1 slot)\n`,
);
console.log(
  `ceiling: the ledger process alone accepts ${ceilingPerSecond.toFixed(0)} sendTransaction/s (no DB, no confirmation)\n`,
);
console.log(
  '| workers | batch | slot ms | seconds | confirmations/s | % of ceiling | first confirmed after (ms) |',
);
console.log(
  '|--------:|------:|--------:|--------:|----------------:|-------------:|---------------------------:|',
);
for (const r of results) {
  console.log(
    `| ${r.workers} | ${r.batch} | ${r.slotMs} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${((100 * r.perSecond) / ceilingPerSecond).toFixed(0)} % | ${r.firstMs.toFixed(0)} |`,
  );
}
