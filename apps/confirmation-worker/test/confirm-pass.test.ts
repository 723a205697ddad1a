import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSolanaRpc } from '@solana/kit';
import { type PrismaClient, type SpendRepository, WorkerRepository } from '@waiaas/database';
import { type LocalLedger } from '@waiaas/local-ledger';
import {
  BalanceInvalidator,
  type Chain,
  Confirmer,
  KitChain,
  Submitter,
  WorkerMetrics,
} from '../src/index.js';
import {
  createOwner,
  createWallet,
  newAddress,
  openWorkerEnvironment,
  reserveSolTransfer,
  silentLogger,
  type WorkerEnvironment,
} from './helpers.js';

let env: WorkerEnvironment;
let ledger: LocalLedger;
let prisma: PrismaClient;
let spend: SpendRepository;

beforeAll(async () => {
  env = await openWorkerEnvironment({ poolSize: 4, ledger: { slotMs: 20 } });
  ({ ledger, prisma, spend } = env);
});

afterAll(async () => {
  await env.close();
});

/** The kit chain, with the name of every call in the order it was made. */
function recordingChain(metrics: WorkerMetrics): { chain: Chain; calls: string[] } {
  const inner = new KitChain(createSolanaRpc(ledger.url), metrics);
  const calls: string[] = [];
  const chain: Chain = {
    send: (wire) => (calls.push('send'), inner.send(wire)),
    signatureStatuses: (signatures, history) => (
      calls.push('statuses'),
      inner.signatureStatuses(signatures, history)
    ),
    blockHeight: (commitment) => (calls.push('height'), inner.blockHeight(commitment)),
    fee: (signature, commitment) => (calls.push('fee'), inner.fee(signature, commitment)),
  };
  return { chain, calls };
}

describe('a confirmation pass', () => {
  it('reads the finalized height once, before the first page, and then confirms every page', async () => {
    const owner = await createOwner(prisma);
    const wallet = await createWallet(prisma, ledger, owner);
    const to = await newAddress();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await reserveSolTransfer(spend, ledger.url, wallet, to, 1_000_000n + BigInt(i))).id,
      );

    const metrics = new WorkerMetrics(
      { oldestAges: () => Promise.resolve({ PENDING: 0, SUBMITTED: 0 }) },
      { defaultMetrics: false },
    );
    const { chain, calls } = recordingChain(metrics);
    const repository = new WorkerRepository(prisma);
    const deps = { repository, chain, metrics, logger: silentLogger };
    await new Submitter(deps, { batchSize: 100, retryAfterMs: 2_000 }).runOnce();
    expect(await prisma.transaction.count({ where: { status: 'SUBMITTED' } })).toBe(5);

    const confirmer = new Confirmer(
      { ...deps, balances: new BalanceInvalidator(null, repository, silentLogger) },
      { batchSize: 2, commitment: 'confirmed', rebroadcastIntervalMs: 60_000 },
    );
    // The first pass walks three pages (2 + 2 + 1 rows): one height read, first, then one
    // status call per page (every row is new to this process: one history search each).
    calls.length = 0;
    let confirmed = (await confirmer.runOnce()).confirmed;
    const statusCalls = calls.filter((c) => c !== 'fee');
    expect(statusCalls).toEqual(['height', 'statuses', 'statuses', 'statuses']);
    // Then until the ledger has confirmed them all.
    for (let pass = 0; pass < 100 && confirmed < 5; pass++) {
      await new Promise((r) => setTimeout(r, 40));
      confirmed += (await confirmer.runOnce()).confirmed;
    }
    expect(confirmed).toBe(5);

    const statuses = await prisma.transaction.findMany({ where: { id: { in: ids } } });
    expect(statuses.map((t) => t.status)).toEqual(Array(5).fill('CONFIRMED'));

    // A pass that finds nothing to check asks the chain nothing.
    calls.length = 0;
    await confirmer.runOnce();
    expect(calls).toEqual([]);
  });
});
