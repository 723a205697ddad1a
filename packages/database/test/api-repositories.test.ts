import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parsePolicy, serializePolicy } from '@waiaas/policy-engine';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  AgentRepository,
  createPrismaClient,
  type EventActor,
  EventRepository,
  isRepositoryError,
  isUniqueViolation,
  OwnerRepository,
  parseStoredPolicy,
  PolicyRepository,
  type PrismaClient,
  SpendRepository,
  TransactionReadRepository,
  WalletRepository,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let owners: OwnerRepository;
let agents: AgentRepository;
let wallets: WalletRepository;
let policies: PolicyRepository;
let reads: TransactionReadRepository;
let events: EventRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
  owners = new OwnerRepository(prisma);
  agents = new AgentRepository(prisma);
  wallets = new WalletRepository(prisma);
  policies = new PolicyRepository(prisma);
  reads = new TransactionReadRepository(prisma);
  events = new EventRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const OPERATOR: EventActor = { type: 'OPERATOR', id: null };
const keyHash = () => randomBytes(32).toString('hex');
const asOwner = (ownerId: string): EventActor => ({ type: 'OWNER', id: ownerId });

async function eventsOf(ownerId: string) {
  return prisma.event.findMany({
    where: { ownerId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { type: true, actorType: true, actorId: true, walletId: true, payload: true },
  });
}

async function newOwner() {
  return owners.create(
    { email: `${randomUUID()}@example.com`, name: null, apiKeyHash: keyHash() },
    OPERATOR,
  );
}

describe('EventRepository', () => {
  it('appends a typed event, and one written in a transaction rolls back with it', async () => {
    const owner = await newOwner();
    await events.record(asOwner(owner.id), {
      type: 'console.signed_out',
      ownerId: owner.id,
      payload: { sessionId: 's1' },
    });
    await expect(
      prisma.$transaction(async (tx) => {
        await events.record(
          asOwner(owner.id),
          { type: 'console.signed_out', ownerId: owner.id, payload: { sessionId: 's2' } },
          tx,
        );
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await eventsOf(owner.id)).toEqual([
      expect.objectContaining({ type: 'owner.created', actorType: 'OPERATOR', actorId: null }),
      {
        type: 'console.signed_out',
        actorType: 'OWNER',
        actorId: owner.id,
        walletId: null,
        payload: { sessionId: 's1' },
      },
    ]);
  });
});

describe('OwnerRepository', () => {
  it('creates an owner with its event; a taken email is a unique violation and writes nothing', async () => {
    const email = `${randomUUID()}@example.com`;
    const owner = await owners.create({ email, name: 'Ann', apiKeyHash: keyHash() }, OPERATOR);
    expect(owner).toMatchObject({ email, name: 'Ann', status: 'ACTIVE' });
    const again = await owners
      .create({ email, name: null, apiKeyHash: keyHash() }, OPERATOR)
      .catch((e: unknown) => e);
    expect(isUniqueViolation(again)).toBe(true);
    expect(
      await prisma.event.count({
        where: { type: 'owner.created', payload: { equals: { email } } },
      }),
    ).toBe(1);
  });

  it('rotates an active owner key, returning the retired hash; a revoked owner gets none', async () => {
    const owner = await newOwner();
    const next = keyHash();
    const rotated = await owners.rotateKey(owner.id, next, asOwner(owner.id));
    expect(rotated).toEqual({
      owner: expect.objectContaining({ apiKeyHash: next }),
      retiredHash: owner.apiKeyHash,
    });
    await owners.setStatus(owner.id, 'REVOKED', OPERATOR);
    expect(await owners.rotateKey(owner.id, keyHash(), asOwner(owner.id))).toBeNull();
    expect(await owners.rotateKey(randomUUID(), keyHash(), OPERATOR)).toBeNull();
  });

  it('revokes once and for good, returning its own and its agents’ key hashes', async () => {
    const owner = await newOwner();
    const agent = await agents.create(
      { ownerId: owner.id, name: 'a', description: null, apiKeyHash: keyHash() },
      asOwner(owner.id),
    );
    expect(await owners.setStatus(owner.id, 'ACTIVE', OPERATOR)).toMatchObject({
      kind: 'unchanged',
    });
    const revoked = await owners.setStatus(owner.id, 'REVOKED', OPERATOR);
    expect(revoked).toEqual({
      kind: 'revoked',
      owner: expect.objectContaining({ status: 'REVOKED' }),
      retired: { owner: [owner.apiKeyHash], agent: [agent.apiKeyHash] },
    });
    expect(await owners.setStatus(owner.id, 'REVOKED', OPERATOR)).toMatchObject({
      kind: 'unchanged',
    });
    expect(await owners.setStatus(owner.id, 'ACTIVE', OPERATOR)).toEqual({ kind: 'final' });
    expect(await owners.setStatus(randomUUID(), 'REVOKED', OPERATOR)).toEqual({
      kind: 'not_found',
    });
    const types = (await eventsOf(owner.id)).map((e) => e.type);
    expect(types).toEqual(['owner.created', 'agent.created', 'owner.revoked']);
  });
});

describe('AgentRepository', () => {
  it('lists and finds only the owner’s agents', async () => {
    const [a, b] = [await newOwner(), await newOwner()];
    const first = await agents.create(
      { ownerId: a.id, name: 'first', description: 'd', apiKeyHash: keyHash() },
      asOwner(a.id),
    );
    const second = await agents.create(
      { ownerId: a.id, name: 'second', description: null, apiKeyHash: keyHash() },
      asOwner(a.id),
    );
    expect((await agents.listForOwner(a.id)).map((x) => x.id)).toEqual([first.id, second.id]);
    expect(await agents.listForOwner(b.id)).toEqual([]);
    expect(await agents.findForOwner(a.id, first.id)).toMatchObject({ name: 'first' });
    expect(await agents.findForOwner(b.id, first.id)).toBeNull();
  });

  it('names the event after the status change, and a revoked agent stays revoked', async () => {
    const owner = await newOwner();
    const agent = await agents.create(
      { ownerId: owner.id, name: 'bot', description: null, apiKeyHash: keyHash() },
      asOwner(owner.id),
    );
    const actor = asOwner(owner.id);
    expect(await agents.update(owner.id, agent.id, { name: 'renamed' }, actor)).toMatchObject({
      kind: 'updated',
      agent: { name: 'renamed', status: 'ACTIVE' },
    });
    await agents.update(owner.id, agent.id, { status: 'SUSPENDED' }, actor);
    await agents.update(owner.id, agent.id, { status: 'REVOKED' }, actor);
    expect(await agents.update(owner.id, agent.id, { status: 'ACTIVE' }, actor)).toEqual({
      kind: 'final',
    });
    expect(await agents.rotateKey(owner.id, agent.id, keyHash(), actor)).toEqual({ kind: 'final' });
    const other = await newOwner();
    expect(await agents.update(other.id, agent.id, { name: 'x' }, asOwner(other.id))).toEqual({
      kind: 'not_found',
    });
    expect((await eventsOf(owner.id)).slice(1)).toEqual([
      expect.objectContaining({ type: 'agent.created' }),
      expect.objectContaining({
        type: 'agent.updated',
        payload: { agentId: agent.id, name: 'renamed' },
      }),
      expect.objectContaining({
        type: 'agent.suspended',
        payload: { agentId: agent.id, status: 'SUSPENDED', previousStatus: 'ACTIVE' },
      }),
      expect.objectContaining({ type: 'agent.revoked' }),
    ]);
  });

  it('rotates a key and returns the retired hash', async () => {
    const owner = await newOwner();
    const agent = await agents.create(
      { ownerId: owner.id, name: 'bot', description: null, apiKeyHash: keyHash() },
      asOwner(owner.id),
    );
    const next = keyHash();
    expect(await agents.rotateKey(owner.id, agent.id, next, asOwner(owner.id))).toEqual({
      kind: 'rotated',
      agent: expect.objectContaining({ apiKeyHash: next }),
      retiredHash: agent.apiKeyHash,
    });
    expect(await agents.rotateKey(owner.id, randomUUID(), next, asOwner(owner.id))).toEqual({
      kind: 'not_found',
    });
  });
});

describe('WalletRepository', () => {
  it('creates the wallet in the custody callback’s transaction, and nothing when the insert fails', async () => {
    const owner = await newOwner();
    const address = newAddress();
    const wallet = await wallets.create(
      { ownerId: owner.id, label: 'main' },
      () => Promise.resolve({ address, kind: 'LOCAL', custodyRef: null }),
      asOwner(owner.id),
    );
    expect(wallet).toMatchObject({ address, label: 'main', custody: 'LOCAL' });
    // The same address again violates its unique index: the custody's own write rolls back too.
    const failed = wallets.create(
      { ownerId: owner.id, label: null },
      async (tx) => {
        await tx.event.create({
          data: { type: 'custody.probe', actorType: 'SYSTEM', ownerId: owner.id },
        });
        return { address, kind: 'LOCAL', custodyRef: null };
      },
      asOwner(owner.id),
    );
    expect(isUniqueViolation(await failed.catch((e: unknown) => e))).toBe(true);
    expect((await eventsOf(owner.id)).map((e) => e.type)).toEqual([
      'owner.created',
      'wallet.created',
    ]);
  });

  it('lists what each viewer may see, grants once and revokes', async () => {
    const { owner, agent, wallet } = await ownerWithWallet(prisma);
    const second = await wallets.create(
      { ownerId: owner.id, label: null },
      () => Promise.resolve({ address: newAddress(), kind: 'LOCAL', custodyRef: null }),
      asOwner(owner.id),
    );
    expect(await wallets.listVisible({ ownerId: owner.id })).toEqual([
      expect.objectContaining({ id: wallet.id, agentIds: [agent.id] }),
      expect.objectContaining({ id: second.id, agentIds: [] }),
    ]);
    const seenByAgent = await wallets.listVisible({ agentId: agent.id });
    expect(seenByAgent.map((w) => w.id)).toEqual([wallet.id]);
    expect(seenByAgent[0]).not.toHaveProperty('agentIds');

    const grant = { ownerId: owner.id, walletId: second.id, agentId: agent.id };
    const first = await wallets.grant(grant, asOwner(owner.id));
    expect(await wallets.grant(grant, asOwner(owner.id))).toEqual(first);
    expect((await wallets.listVisible({ agentId: agent.id })).map((w) => w.id)).toEqual([
      wallet.id,
      second.id,
    ]);
    expect(await wallets.revokeGrant(grant, asOwner(owner.id))).toBe(true);
    expect(await wallets.revokeGrant(grant, asOwner(owner.id))).toBe(false);
    // Another owner cannot revoke this owner's agent's grant.
    const stranger = await newOwner();
    expect(
      await wallets.revokeGrant({ ...grant, walletId: wallet.id, ownerId: stranger.id }, OPERATOR),
    ).toBe(false);
    const types = (await eventsOf(owner.id)).map((e) => e.type);
    expect(types).toEqual(['wallet.created', 'wallet.agent_granted', 'wallet.agent_revoked']);
  });
});

describe('PolicyRepository', () => {
  const body = {
    perTxLimit: '0.5',
    dailyLimit: '5',
    allowedAssets: [],
    allowedAddresses: [],
    requiresApproval: false,
    metadata: {},
  };
  const canonical = () => {
    const parsed = parsePolicy(body);
    if (!parsed.ok) throw new Error('test policy does not parse');
    return serializePolicy(parsed.policy);
  };

  it('writes versions 1, 2, … with a history row and an event each, and reads it back', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    expect(await policies.find(wallet.id)).toBeNull();
    const input = { ownerId: owner.id, walletId: wallet.id, policy: canonical() };
    expect(await policies.write(input)).toMatchObject({ version: 1 });
    expect(await policies.write(input)).toMatchObject({ version: 2 });
    const stored = await policies.find(wallet.id);
    expect(stored?.version).toBe(2);
    expect(serializePolicy(stored!.policy)).toEqual(canonical());
    expect(await prisma.walletPolicyVersion.count({ where: { walletId: wallet.id } })).toBe(2);
    expect((await eventsOf(owner.id)).filter((e) => e.type === 'policy.updated')).toEqual([
      expect.objectContaining({
        walletId: wallet.id,
        payload: { version: 1, policy: canonical() },
      }),
      expect.objectContaining({ payload: { version: 2, policy: canonical() } }),
    ]);
  });

  it('gives racing first writes distinct versions', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    const input = { ownerId: owner.id, walletId: wallet.id, policy: canonical() };
    const versions = await Promise.all([policies.write(input), policies.write(input)]);
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
  });

  it('refuses a stored policy that no longer parses (POLICY_CORRUPT)', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    const row = {
      per_tx_limit: '1',
      daily_limit: '1',
      allowed_assets: ['SOL'],
      allowed_addresses: [],
      requires_approval: false,
      metadata: { unknownKey: true },
      version: 3,
    };
    expect(() => parseStoredPolicy(wallet.id, row)).toThrow();
    expect(
      isRepositoryError(
        catching(() => parseStoredPolicy(wallet.id, row)),
        'POLICY_CORRUPT',
      ),
    ).toBe(true);
    expect(parseStoredPolicy(wallet.id, undefined)).toEqual({ policy: null, version: null });
  });
});

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('TransactionReadRepository', () => {
  it('pages newest first by (created_at, id), per wallet or per owner, filtered by status', async () => {
    const { owner, agent, wallet } = await ownerWithWallet(prisma);
    const spend = new SpendRepository(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '10', dailyLimit: '100' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await spend.reserveTransfer(
        {
          walletId: wallet.id,
          agentId: agent.id,
          idempotencyKey: null,
          asset: null,
          amount: 1_000_000n,
          decimals: 9,
          destination: newAddress(),
          memo: null,
          now: new Date(),
        },
        fakeSign,
      );
      if (result.transaction === null) throw new Error('the test policy denied a transfer');
      ids.push(result.transaction.id);
    }
    const first = await reads.page({ walletId: wallet.id }, { limit: 2 });
    expect(first.more).toBe(true);
    const last = first.rows[1]!;
    const second = await reads.page({ walletId: wallet.id }, { limit: 2, after: last });
    const third = await reads.page({ ownerId: owner.id }, { limit: 2, after: second.rows[1]! });
    expect(third.more).toBe(false);
    expect([...first.rows, ...second.rows, ...third.rows].map((r) => r.id)).toEqual(
      [...ids].reverse(),
    );
    expect(
      (await reads.page({ walletId: wallet.id }, { limit: 10, status: 'CONFIRMED' })).rows,
    ).toEqual([]);
    expect(await reads.findVisible({ agentId: agent.id }, ids[0]!)).toMatchObject({ id: ids[0] });
    const stranger = await newOwner();
    expect(await reads.findVisible({ ownerId: stranger.id }, ids[0]!)).toBeNull();
  });
});
