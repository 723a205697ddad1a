import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { Address, ReadonlyUint8Array } from '@solana/kit';
import { LRUCache } from 'lru-cache';
import { addressBytes } from './address-cache.js';

/**
 * Ed25519 through node:crypto rather than WebCrypto: `crypto.sign`/`crypto.verify` run
 * synchronously on the calling thread, where `crypto.subtle` queues an asynchronous job on the
 * thread pool for every signature, whose scheduling costs more than the 64-byte signature.
 */

// DER wrappings of raw Ed25519 keys (RFC 8410): a fixed header, then the 32 raw bytes.
const PKCS8_ED25519_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_HEADER = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;

/** kit's read-only byte arrays as node:crypto's inputs, which it only reads. */
function readable(bytes: ReadonlyUint8Array): Uint8Array {
  return bytes as Uint8Array;
}

/** Offset of the 32-byte seed in an Ed25519 PKCS#8 key. */
export const PKCS8_ED25519_SEED_OFFSET = PKCS8_ED25519_HEADER.length;

/**
 * The private key of a 32-byte Ed25519 seed. The DER copy of the seed made on the way is
 * zeroed before returning; the caller zeroes `seed`.
 */
export function privateKeyFromSeed(seed: ReadonlyUint8Array): KeyObject {
  if (seed.length !== KEY_BYTES) throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  const der = Buffer.alloc(PKCS8_ED25519_HEADER.length + KEY_BYTES);
  try {
    PKCS8_ED25519_HEADER.copy(der);
    der.set(seed, PKCS8_ED25519_HEADER.length);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** True when `privateKey` is the key of `address` (its public key is the address's 32 bytes). */
export function isKeyOfAddress(privateKey: KeyObject, address: Address): boolean {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return Buffer.from(readable(addressBytes(address))).equals(
    spki.subarray(SPKI_ED25519_HEADER.length),
  );
}

/** The 64-byte Ed25519 signature of `message`. */
export function signEd25519(privateKey: KeyObject, message: ReadonlyUint8Array): Uint8Array {
  // A copy: the Buffer node returns may be a view into a larger shared pool.
  return new Uint8Array(sign(null, readable(message), privateKey));
}

/**
 * Public keys of the addresses verified lately: building one from the address costs about as
 * much as a verification, and an address's public key never changes.
 */
const publicKeys = new LRUCache<Address, KeyObject>({ max: 10_000 });

function publicKeyOf(address: Address): KeyObject {
  let key = publicKeys.get(address);
  if (key === undefined) {
    const der = Buffer.concat([SPKI_ED25519_HEADER, readable(addressBytes(address))]);
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    publicKeys.set(address, key);
  }
  return key;
}

/** True when `signature` is `address`'s Ed25519 signature of `message`. */
export function verifyEd25519(
  address: Address,
  message: ReadonlyUint8Array,
  signature: ReadonlyUint8Array,
): boolean {
  return verify(null, readable(message), publicKeyOf(address), readable(signature));
}
