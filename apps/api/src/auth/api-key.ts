import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import bs58 from 'bs58';

export type ApiKeyKind = 'owner' | 'agent';

const PREFIX: Record<ApiKeyKind, string> = { owner: 'waiaas_owner_', agent: 'waiaas_agent_' };

/** A new API key: kind prefix + 32 random bytes in base58. Shown once, never stored. */
export function generateApiKey(kind: ApiKeyKind): string {
  return PREFIX[kind] + bs58.encode(randomBytes(32));
}

/**
 * What is stored in `api_key_hash`: SHA-256 of the whole key, lowercase hex. Every request
 * hashes its key: the one-shot `hash()` costs about half of a `createHash()` object's round.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Which kind of key this looks like (by prefix), or null. */
export function apiKeyKind(key: string): ApiKeyKind | null {
  if (key.startsWith(PREFIX.owner)) return 'owner';
  if (key.startsWith(PREFIX.agent)) return 'agent';
  return null;
}

/**
 * Constant-time equality of two secrets. Both sides are hashed first so the comparison runs
 * over equal-length digests and leaks neither content nor length.
 */
export function secretsEqual(a: string, b: string): boolean {
  const da = hash('sha256', a, 'buffer');
  const db = hash('sha256', b, 'buffer');
  return timingSafeEqual(da, db);
}

/** Constant-time equality of two hex digests of equal length (false when lengths differ). */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
