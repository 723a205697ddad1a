import {
  type KeyObject,
  createCipheriv,
  createDecipheriv,
  randomBytes,
  type webcrypto,
} from 'node:crypto';
import { type Address, type ReadonlyUint8Array, getAddressFromPublicKey } from '@solana/kit';
import { LRUCache } from 'lru-cache';
import type { CreateWalletOptions, CustodyWallet, KeyCustody } from './custody.js';
import {
  PKCS8_ED25519_SEED_OFFSET,
  isKeyOfAddress,
  privateKeyFromSeed,
  signEd25519,
} from './ed25519.js';
import { SignerError } from './errors.js';
import type { MasterKeys } from './master-key.js';

/**
 * One row of the `local_keys` table.
 *
 * @example
 * ```ts
 * const row: LocalKeyRecord | null = await prisma.localKey.findUnique({ where: { address } });
 * ```
 */
export interface LocalKeyRecord {
  address: string;
  /** AES-256-GCM ciphertext of the 32-byte Ed25519 seed, followed by the 16-byte tag. */
  ciphertext: Uint8Array<ArrayBuffer>;
  /** 12-byte GCM nonce, random per key. */
  nonce: Uint8Array<ArrayBuffer>;
  /** Master key version that sealed it. */
  keyVersion: number;
}

/**
 * The slice of the Prisma client the keystore uses (`prisma.localKey`). A `PrismaClient`
 * from `@waiaas/database`, or a transaction client, satisfies it.
 *
 * @example
 * ```ts
 * const store: LocalKeyStore = createPrismaClient({ url: process.env.DATABASE_URL! });
 * ```
 */
export interface LocalKeyStore {
  localKey: {
    create(args: { data: LocalKeyRecord }): Promise<unknown>;
    findUnique(args: { where: { address: string } }): Promise<LocalKeyRecord | null>;
    update(args: {
      where: { address: string };
      data: Omit<LocalKeyRecord, 'address'>;
    }): Promise<unknown>;
  };
}

/** Options of {@link LocalKeystoreCustody}. */
export interface LocalKeystoreOptions {
  /**
   * How long an opened key stays in memory as a node:crypto `KeyObject` (the key material is
   * held by OpenSSL, outside the JavaScript heap), so signing with it again needs neither a
   * database read, a decryption nor the check of the key against its address (default
   * 60 000 ms; 0 opens the key for every signature). This exposes nothing the process does not
   * already hold: the master key that opens every key is in its memory for as long as it runs.
   */
  keyCacheTtlMs?: number;
  /** Most keys kept open at once (default 10 000; the least recently used go first). */
  keyCacheMax?: number;
}

const SEED_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Key custody in PostgreSQL: Ed25519 keys generated with WebCrypto, each sealed with
 * AES-256-GCM under the configured master key (random 12-byte nonce per key, the wallet
 * address as additional authenticated data, the master key version recorded for rotation).
 * Keys are opened only in memory, only to sign, and the seed buffer is zeroed afterwards.
 *
 * @example
 * ```ts
 * const custody = new LocalKeystoreCustody(prisma, loadMasterKeys({ key: config.masterKey }));
 * const { address } = await custody.createWallet();
 * const signature = await custody.signMessage(address, messageBytes);
 * ```
 */
export class LocalKeystoreCustody implements KeyCustody {
  readonly kind = 'LOCAL' as const;
  /**
   * Every key is checked against its address when it is opened, before it signs anything
   * (see {@link LocalKeystoreCustody.signMessage}), so its signatures need no verification.
   */
  readonly checksKeysAgainstAddresses = true;
  private readonly signingKeys: LRUCache<string, KeyObject> | null;

  constructor(
    private readonly store: LocalKeyStore,
    private readonly masterKeys: MasterKeys,
    private readonly options: LocalKeystoreOptions = {},
  ) {
    const ttl = options.keyCacheTtlMs ?? 60_000;
    this.signingKeys =
      ttl > 0
        ? new LRUCache({ max: options.keyCacheMax ?? 10_000, ttl, ttlAutopurge: false })
        : null;
    const current = masterKeys.keys.get(masterKeys.currentVersion);
    if (!current || current.length !== 32) {
      throw new SignerError(
        'MASTER_KEY_INVALID',
        {
          variable: 'masterKeys',
          reason: `no 32-byte key for current version ${masterKeys.currentVersion}`,
        },
        `master keys hold no 32-byte key for the current version ${masterKeys.currentVersion}`,
      );
    }
  }

  /**
   * The same custody writing through `store` instead, e.g. a Prisma transaction client, so a new
   * key commits or rolls back together with the caller's own rows (a wallet row that fails to
   * insert must not leave its key behind).
   *
   * @example
   * ```ts
   * await prisma.$transaction(async (tx) => {
   *   const { address } = await custody.withStore(tx).createWallet();
   *   await tx.wallet.create({ data: { address, ownerId, custody: 'LOCAL' } });
   * });
   * ```
   */
  withStore(store: LocalKeyStore): LocalKeystoreCustody {
    return new LocalKeystoreCustody(store, this.masterKeys, this.options);
  }

  /** Generates a key pair, seals the private key and stores it. */
  async createWallet(_opts?: CreateWalletOptions): Promise<CustodyWallet> {
    // Node's types give generateKey a union; for Ed25519 it is always a pair. The type is
    // node:crypto's own, so importers need no DOM library in their compiler settings. (Here
    // the Turnkey SDK's types bring DOM's generateKey overloads, so the assertion looks redundant.)
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const address = await getAddressFromPublicKey(pair.publicKey);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const seed = pkcs8.subarray(PKCS8_ED25519_SEED_OFFSET, PKCS8_ED25519_SEED_OFFSET + SEED_BYTES);
    try {
      if (pkcs8.length !== PKCS8_ED25519_SEED_OFFSET + SEED_BYTES) {
        throw new Error(`unexpected PKCS#8 length ${pkcs8.length}`);
      }
      await this.store.localKey.create({ data: { address, ...this.seal(address, seed) } });
    } finally {
      pkcs8.fill(0);
    }
    return { address, custodyRef: null, kind: 'LOCAL' };
  }

  /**
   * Signs `message` (Ed25519, synchronously through node:crypto) with the key of `address`:
   * opened from the database (the seed buffer zeroed at once), checked against the address,
   * and kept for `keyCacheTtlMs`.
   */
  async signMessage(address: Address, message: ReadonlyUint8Array): Promise<Uint8Array> {
    const key = this.signingKeys?.get(address) ?? (await this.openSigningKey(address));
    return signEd25519(key, message);
  }

  /**
   * The key of `address`, refused unless its public key is the address. The sealed row is
   * bound to its address (the AAD), but only to what was sealed for it: a row written for the
   * address with another key (a bug, or someone holding the master key) would otherwise sign
   * transactions the cluster refuses, after they were recorded as signed. This check, made
   * once per opened key, is what lets `signWithCustody` skip verifying every signature:
   * a key that matches its address makes signatures that verify against it.
   */
  private async openSigningKey(address: Address): Promise<KeyObject> {
    const seed = await this.open(address);
    let key: KeyObject;
    try {
      key = privateKeyFromSeed(seed);
    } finally {
      seed.fill(0);
    }
    if (!isKeyOfAddress(key, address)) {
      throw new SignerError(
        'CUSTODY_SIGNING_FAILED',
        { address, reason: 'the stored key is not the key of the address' },
        `the local key stored for ${address} belongs to another address; nothing was signed`,
      );
    }
    this.signingKeys?.set(address, key);
    return key;
  }

  /**
   * Re-seals the key of `address` under the current master key version (after a rotation).
   * Returns the version it was sealed with before.
   *
   * @example
   * ```ts
   * const previousVersion = await custody.resealKey(address);
   * ```
   */
  async resealKey(address: Address): Promise<number> {
    const row = await this.findRow(address);
    const seed = this.openRow(row);
    try {
      await this.store.localKey.update({ where: { address }, data: this.seal(address, seed) });
    } finally {
      seed.fill(0);
    }
    return row.keyVersion;
  }

  private seal(address: string, seed: Uint8Array): Omit<LocalKeyRecord, 'address'> {
    const keyVersion = this.masterKeys.currentVersion;
    const masterKey = this.masterKeys.keys.get(keyVersion)!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(address, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(seed), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: new Uint8Array(ciphertext), nonce: new Uint8Array(nonce), keyVersion };
  }

  private async findRow(address: Address): Promise<LocalKeyRecord> {
    const row = await this.store.localKey.findUnique({ where: { address } });
    if (!row) {
      throw new SignerError('CUSTODY_KEY_NOT_FOUND', { address }, `no local key for ${address}`);
    }
    return row;
  }

  private async open(address: Address): Promise<Uint8Array> {
    return this.openRow(await this.findRow(address));
  }

  private openRow(row: LocalKeyRecord): Uint8Array {
    const { address, keyVersion } = row;
    const masterKey = this.masterKeys.keys.get(keyVersion);
    if (!masterKey) {
      throw new SignerError(
        'CUSTODY_KEY_VERSION_UNKNOWN',
        { address, keyVersion },
        `the key of ${address} was sealed with master key version ${keyVersion}, which is not configured`,
      );
    }
    const fail = (cause?: unknown) =>
      new SignerError(
        'CUSTODY_KEY_DECRYPT_FAILED',
        { address, keyVersion },
        `the key of ${address} cannot be opened: tampered ciphertext or wrong master key (version ${keyVersion})`,
        { cause },
      );
    if (row.nonce.length !== NONCE_BYTES || row.ciphertext.length !== SEED_BYTES + TAG_BYTES)
      throw fail();
    const decipher = createDecipheriv('aes-256-gcm', masterKey, row.nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(address, 'utf8'));
    decipher.setAuthTag(row.ciphertext.subarray(SEED_BYTES));
    // GCM hands out plaintext before the tag is checked (in final()): zero it on failure.
    const seed = new Uint8Array(SEED_BYTES);
    let head: Buffer | undefined;
    try {
      head = decipher.update(row.ciphertext.subarray(0, SEED_BYTES));
      const tail = decipher.final();
      seed.set(head, 0);
      seed.set(tail, head.length);
      return seed;
    } catch (e) {
      seed.fill(0);
      throw fail(e);
    } finally {
      head?.fill(0);
    }
  }
}
