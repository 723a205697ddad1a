import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '@waiaas/testing';
import pg from 'pg';
import { AgentKeyRepository, createPrismaClient, type PrismaClient } from '../src/index.js';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../src/migrator.js';
import { ownerWithWallet } from './support/fixtures.js';

const hash = (): string => randomBytes(32).toString('hex');
const ALL_SCOPES = ['read', 'evaluate', 'transfer'];
const AGENT_KEYS_MIGRATION = '20261203200000_agent_keys';

let db: TestDatabase;
let prisma: PrismaClient;
let keys: AgentKeyRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
  keys = new AgentKeyRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const noAudit = async (): Promise<void> => {};

describe('the agent_keys migration', () => {
  it('turns every existing agent key into a primary key row with every scope', async () => {
    const empty = await createEmptyDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'waiaas-agent-keys-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      for (const name of await readdir(dir))
        if (name >= AGENT_KEYS_MIGRATION && !name.endsWith('.toml'))
          await rm(join(dir, name), { recursive: true });
      await migrate({ connectionString: empty.url, migrationsDir: dir });

      const client = new pg.Client({ connectionString: empty.url });
      await client.connect();
      try {
        const keyHash = hash();
        const owner = await client.query<{ id: string }>(
          `INSERT INTO owners (id, email, api_key_hash, updated_at)
           VALUES (gen_random_uuid(), $1, $2, now()) RETURNING id`,
          [`${randomBytes(4).toString('hex')}@example.com`, hash()],
        );
        const agent = await client.query<{ id: string }>(
          `INSERT INTO agents (id, owner_id, name, api_key_hash, updated_at)
           VALUES (gen_random_uuid(), $1, 'old', $2, now()) RETURNING id`,
          [owner.rows[0]?.id, keyHash],
        );

        const result = await migrate({ connectionString: empty.url });
        expect(result.applied[0]).toBe(AGENT_KEYS_MIGRATION);

        const rows = await client.query(
          `SELECT agent_id::text, name, key_hash, scopes::text[] AS scopes, wallet_ids, "primary",
                  expires_at, revoked_at
           FROM agent_keys`,
        );
        expect(rows.rows).toEqual([
          {
            agent_id: agent.rows[0]?.id,
            name: 'primary',
            key_hash: keyHash,
            scopes: ALL_SCOPES,
            wallet_ids: [],
            primary: true,
            expires_at: null,
            revoked_at: null,
          },
        ]);
      } finally {
        await client.end();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await empty.drop();
    }
  });
});

describe('the primary key follows agents.api_key_hash', () => {
  it('a new agent gets its primary key row; a rotation revokes the old row and adds the new', async () => {
    const { agent } = await ownerWithWallet(prisma);
    const first = await keys.accessByHash(agent.apiKeyHash);
    expect(first).toMatchObject({
      agentId: agent.id,
      scopes: ALL_SCOPES,
      walletIds: null,
      expiresAt: null,
      revokedAt: null,
      agentStatus: 'ACTIVE',
      ownerStatus: 'ACTIVE',
    });

    await prisma.agent.update({ where: { id: agent.id }, data: { name: 'renamed' } });
    expect(await prisma.agentKey.count({ where: { agentId: agent.id } })).toBe(1);

    const next = hash();
    await prisma.agent.update({ where: { id: agent.id }, data: { apiKeyHash: next } });
    expect((await keys.accessByHash(agent.apiKeyHash))?.revokedAt).toBeInstanceOf(Date);
    expect(await keys.accessByHash(next)).toMatchObject({ revokedAt: null, scopes: ALL_SCOPES });
    const rows = await prisma.agentKey.findMany({ where: { agentId: agent.id, primary: true } });
    expect(rows).toHaveLength(2);
  });
});

describe('AgentKeyRepository', () => {
  it('creates a limited key, refusing other owners’ wallets, unknown and revoked agents', async () => {
    const { owner, agent, wallet } = await ownerWithWallet(prisma);
    const other = await ownerWithWallet(prisma);
    const input = {
      ownerId: owner.id,
      agentId: agent.id,
      name: 'reader',
      keyHash: hash(),
      scopes: ['read' as const],
      walletIds: [wallet.id],
      expiresAt: new Date(Date.now() + 86_400_000),
    };
    const before = await prisma.agentKey.count();
    expect(
      await keys.create({ ...input, walletIds: [wallet.id, other.wallet.id] }, noAudit),
    ).toEqual({
      refused: 'WALLETS_NOT_FOUND',
      walletIds: [other.wallet.id],
    });
    expect(await keys.create({ ...input, ownerId: other.owner.id }, noAudit)).toEqual({
      refused: 'AGENT_NOT_FOUND',
    });
    expect(await prisma.agentKey.count()).toBe(before);

    let audited = '';
    const created = await keys.create(input, (row) => {
      audited = row.id;
      return Promise.resolve();
    });
    expect('refused' in created).toBe(false);
    const record = await keys.accessByHash(input.keyHash);
    expect(record).toMatchObject({ id: audited, scopes: ['read'], walletIds: [wallet.id] });
    expect(await keys.accessById(audited)).toEqual(record);

    await prisma.agent.update({ where: { id: agent.id }, data: { status: 'REVOKED' } });
    expect(await keys.create({ ...input, keyHash: hash() }, noAudit)).toEqual({
      refused: 'AGENT_REVOKED',
    });
  });

  it('revokes once, lists primary first, and writes lastUsedAt at most once a minute', async () => {
    const { owner, agent } = await ownerWithWallet(prisma);
    const created = await keys.create(
      {
        ownerId: owner.id,
        agentId: agent.id,
        name: 'k',
        keyHash: hash(),
        scopes: ['transfer'],
        walletIds: null,
        expiresAt: new Date(Date.now() + 86_400_000),
      },
      noAudit,
    );
    if ('refused' in created) throw new Error('not created');

    await keys.touchLastUsed([created.id]);
    const first = await prisma.agentKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(first.lastUsedAt).toBeInstanceOf(Date);
    await keys.touchLastUsed([created.id]);
    expect(
      (await prisma.agentKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt,
    ).toEqual(first.lastUsedAt);

    let events = 0;
    const audit = (): Promise<void> => {
      events += 1;
      return Promise.resolve();
    };
    const revoked = await keys.revoke(owner.id, agent.id, created.id, audit);
    expect(revoked?.changed).toBe(true);
    const again = await keys.revoke(owner.id, agent.id, created.id, audit);
    expect(again).toMatchObject({ changed: false, row: { revokedAt: revoked?.row.revokedAt } });
    expect(events).toBe(1);
    const other = await ownerWithWallet(prisma);
    expect(await keys.revoke(other.owner.id, agent.id, created.id, audit)).toBeNull();

    const listed = await keys.listForAgent(owner.id, agent.id);
    expect(listed?.map((k) => [k.name, k.primary])).toEqual([
      ['primary', true],
      ['k', false],
    ]);
    expect(await keys.listForAgent(other.owner.id, agent.id)).toBeNull();
  });
});
