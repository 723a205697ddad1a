import { createCipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Address,
  getPublicKeyFromAddress,
  verifySignature,
  signatureBytes,
} from '@solana/kit';
import { type PrismaClient, createPrismaClient, isCheckViolation } from '@waiaas/database';
import { type TestDatabase, createTestDatabase } from '@waiaas/testing';
import {
  LocalKeystoreCustody,
  type MasterKeys,
  isSignerError,
  loadMasterKeys,
  signWithCustody,
} from '../src/index.js';
import { transferScenarios } from './support/transfer-scenarios.js';

let db: TestDatabase;
let prisma: PrismaClient;
let custody: LocalKeystoreCustody;

const key = () => randomBytes(32).toString('base64');
const masterKeys = loadMasterKeys({ key: key() });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 2 });
  custody = new LocalKeystoreCustody(prisma, masterKeys);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function verifies(
  address: Address,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return verifySignature(
    await getPublicKeyFromAddress(address),
    signatureBytes(signature),
    message,
  );
}

describe('LocalKeystoreCustody transfers on LiteSVM', () => {
  transferScenarios(() => custody);
});

describe('LocalKeystoreCustody keystore', () => {
  it('stores only sealed keys: 12-byte nonce, 48-byte ciphertext, current version', async () => {
    const { address, custodyRef, kind } = await custody.createWallet();
    expect({ custodyRef, kind }).toEqual({ custodyRef: null, kind: 'LOCAL' });
    const row = await prisma.localKey.findUniqueOrThrow({ where: { address } });
    expect(row.nonce.length).toBe(12);
    expect(row.ciphertext.length).toBe(48);
    expect(row.keyVersion).toBe(1);
    const message = randomBytes(100);
    expect(await verifies(address, message, await custody.signMessage(address, message))).toBe(
      true,
    );
  });

  it('keeps an opened key for keyCacheTtlMs: the next signature reads no row; 0 reads every time', async () => {
    const reads = { cached: 0, uncached: 0 };
    const counting = (which: keyof typeof reads) => ({
      localKey: {
        create: prisma.localKey.create.bind(prisma.localKey),
        update: prisma.localKey.update.bind(prisma.localKey),
        findUnique: (args: { where: { address: string } }) => {
          reads[which] += 1;
          return prisma.localKey.findUnique(args);
        },
      },
    });
    const cached = new LocalKeystoreCustody(counting('cached'), masterKeys);
    const uncached = new LocalKeystoreCustody(counting('uncached'), masterKeys, {
      keyCacheTtlMs: 0,
    });
    const { address } = await cached.createWallet();
    for (let i = 0; i < 3; i++) {
      const message = randomBytes(64);
      expect(await verifies(address, message, await cached.signMessage(address, message))).toBe(
        true,
      );
      expect(await verifies(address, message, await uncached.signMessage(address, message))).toBe(
        true,
      );
    }
    expect(reads).toEqual({ cached: 1, uncached: 3 });
  });

  it('uses a fresh nonce per key', async () => {
    const a = await custody.createWallet();
    const b = await custody.createWallet();
    const rows = await prisma.localKey.findMany({
      where: { address: { in: [a.address, b.address] } },
    });
    expect(Buffer.from(rows[0]!.nonce).equals(Buffer.from(rows[1]!.nonce))).toBe(false);
  });

  it('unknown address is CUSTODY_KEY_NOT_FOUND', async () => {
    const { address } = await new LocalKeystoreCustody(prisma, masterKeys).createWallet();
    await prisma.localKey.delete({ where: { address } });
    await expect(custody.signMessage(address, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'CUSTODY_KEY_NOT_FOUND',
      context: { address },
    });
  });

  it('a flipped ciphertext or tag byte is CUSTODY_KEY_DECRYPT_FAILED', async () => {
    for (const index of [0, 31, 32, 47]) {
      const { address } = await custody.createWallet();
      const row = await prisma.localKey.findUniqueOrThrow({ where: { address } });
      const tampered = new Uint8Array(row.ciphertext);
      tampered[index]! ^= 0x01;
      await prisma.localKey.update({ where: { address }, data: { ciphertext: tampered } });
      const error = await custody
        .signMessage(address, new Uint8Array([1]))
        .catch((e: unknown) => e);
      expect(isSignerError(error, 'CUSTODY_KEY_DECRYPT_FAILED')).toBe(true);
      expect(error).toMatchObject({ context: { address, keyVersion: 1 } });
    }
  });

  it('a flipped nonce byte is CUSTODY_KEY_DECRYPT_FAILED', async () => {
    const { address } = await custody.createWallet();
    const row = await prisma.localKey.findUniqueOrThrow({ where: { address } });
    const nonce = new Uint8Array(row.nonce);
    nonce[5]! ^= 0x80;
    await prisma.localKey.update({ where: { address }, data: { nonce } });
    await expect(custody.signMessage(address, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'CUSTODY_KEY_DECRYPT_FAILED',
    });
  });

  it('a sealed key moved to another address fails (the address is the AAD)', async () => {
    const victim = await custody.createWallet();
    const attacker = await custody.createWallet();
    const row = await prisma.localKey.findUniqueOrThrow({ where: { address: victim.address } });
    // Swap the victim's sealed key into the attacker's row: the AAD no longer matches.
    await prisma.localKey.update({
      where: { address: attacker.address },
      data: { ciphertext: row.ciphertext, nonce: row.nonce, keyVersion: row.keyVersion },
    });
    await expect(custody.signMessage(attacker.address, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'CUSTODY_KEY_DECRYPT_FAILED',
    });
    // The victim's own row is untouched and still signs.
    const message = new Uint8Array([9, 9]);
    expect(
      await verifies(victim.address, message, await custody.signMessage(victim.address, message)),
    ).toBe(true);
  });

  it('refuses a key sealed for an address that is not its own, before signing anything, every time', async () => {
    // A row that opens correctly (sealed under the master key with the address as AAD) but
    // holds another key: only the check of the opened key against the address can catch it.
    const { address } = await custody.createWallet();
    const otherSeed = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .subarray(16);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', masterKeys.keys.get(1)!, nonce, {
      authTagLength: 16,
    });
    cipher.setAAD(Buffer.from(address, 'utf8'));
    const ciphertext = Buffer.concat([
      cipher.update(otherSeed),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    await prisma.localKey.update({
      where: { address },
      data: { ciphertext: new Uint8Array(ciphertext), nonce: new Uint8Array(nonce), keyVersion: 1 },
    });
    const signing = new LocalKeystoreCustody(prisma, masterKeys);
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await signing
        .signMessage(address, new Uint8Array([1]))
        .catch((e: unknown) => e);
      expect(isSignerError(error, 'CUSTODY_SIGNING_FAILED')).toBe(true);
      expect(error).toMatchObject({ context: { address } });
    }
  });

  it('signs only with keys it checked, so signWithCustody trusts it without verifying', async () => {
    expect(custody.checksKeysAgainstAddresses).toBe(true);
    const { address } = await custody.createWallet();
    const message = randomBytes(80);
    const signature = await signWithCustody(custody, address, message);
    expect(await verifies(address, message, signature)).toBe(true);
  });

  it('the wrong master key is CUSTODY_KEY_DECRYPT_FAILED', async () => {
    const { address } = await custody.createWallet();
    const wrong = new LocalKeystoreCustody(prisma, loadMasterKeys({ key: key() }));
    await expect(wrong.signMessage(address, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'CUSTODY_KEY_DECRYPT_FAILED',
    });
  });

  it('the database refuses a nonce that is not 12 bytes', async () => {
    const { address } = await custody.createWallet();
    const error = await prisma.localKey
      .update({ where: { address }, data: { nonce: new Uint8Array(16) } })
      .catch((e: unknown) => e);
    expect(isCheckViolation(error)).toBe(true);
  });

  it('rotation: old rows open with their recorded version, new rows seal with the new one, reseal upgrades', async () => {
    const v1 = key();
    const v2 = key();
    const before = new LocalKeystoreCustody(prisma, loadMasterKeys({ key: v1 }));
    const old = await before.createWallet();
    const rotated: MasterKeys = loadMasterKeys({
      key: v2,
      version: 2,
      previous: [{ version: 1, key: v1 }],
    });
    const after = new LocalKeystoreCustody(prisma, rotated);
    const message = randomBytes(64);
    expect(
      await verifies(old.address, message, await after.signMessage(old.address, message)),
    ).toBe(true);
    const fresh = await after.createWallet();
    expect(
      (await prisma.localKey.findUniqueOrThrow({ where: { address: fresh.address } })).keyVersion,
    ).toBe(2);
    // Without version 1 configured, the old row is a clear error, not a decrypt failure.
    const onlyV2 = new LocalKeystoreCustody(prisma, loadMasterKeys({ key: v2, version: 2 }));
    await expect(onlyV2.signMessage(old.address, message)).rejects.toMatchObject({
      code: 'CUSTODY_KEY_VERSION_UNKNOWN',
      context: { keyVersion: 1 },
    });
    // Re-sealing moves the old row to version 2; then version 1 is no longer needed.
    expect(await after.resealKey(old.address)).toBe(1);
    expect(
      (await prisma.localKey.findUniqueOrThrow({ where: { address: old.address } })).keyVersion,
    ).toBe(2);
    expect(
      await verifies(old.address, message, await onlyV2.signMessage(old.address, message)),
    ).toBe(true);
  });
});
