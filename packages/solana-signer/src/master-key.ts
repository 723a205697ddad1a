import { createHash } from 'node:crypto';
import { SignerError } from './errors.js';

/**
 * Master keys of the local keystore: the current one seals, every listed version opens.
 *
 * @example
 * ```ts
 * const masterKeys: MasterKeys = loadMasterKeys({ key: 'base64 of 32 random bytes' });
 * masterKeys.currentVersion; // seals new keys
 * ```
 */
export interface MasterKeys {
  /** Version new keys are sealed with. */
  currentVersion: number;
  /** Every key this process can open with, by version (includes the current one). */
  keys: ReadonlyMap<number, Uint8Array>;
  /** True when no key was configured and the well-known development key is in use. */
  devDefault: boolean;
  /** Things start-up should print (never the key itself). */
  warnings: string[];
}

/** An older master key, still needed to open rows sealed before a rotation. */
export interface PreviousMasterKey {
  /** Integer ≥ 1, different from every other key's. */
  version: number;
  /** 32 bytes written as 64 hex digits or base64 (standard or url-safe). */
  key: string;
}

/**
 * What {@link loadMasterKeys} builds the keys from. The service's configuration maps its
 * environment to these; a `MASTER_KEY_INVALID` error names the option at fault (`key`,
 * `version` or `previous`) in `context.variable`.
 */
export interface MasterKeyOptions {
  /** The current master key: 32 random bytes written as 64 hex digits or base64. */
  key?: string;
  /** Version of the current key (integer ≥ 1, default 1). */
  version?: number;
  /** Older keys, for rotation. */
  previous?: readonly PreviousMasterKey[];
  /**
   * Local development only: a missing key falls back to a public development key and weak
   * keys are accepted, each with a warning.
   */
  allowDevDefault?: boolean;
}

/**
 * Well-known development key (public by construction: anyone can derive it). Only ever used
 * when the caller explicitly allows it for local development.
 */
const DEV_MASTER_KEY = new Uint8Array(
  createHash('sha256').update('waiaas local development master key v1').digest(),
);

/** Fewer distinct byte values than this in 32 bytes means the key was not drawn at random. */
const MIN_DISTINCT_BYTES = 16;

/**
 * Parses a 32-byte master key written as 64 hex digits or base64 (standard or url-safe).
 * Throws `MASTER_KEY_INVALID` for anything else, and for keys that are plainly not random
 * (all one byte, a short repeated pattern, the development key) unless `allowWeak`.
 *
 * @example
 * ```ts
 * const key = parseMasterKey(randomBytes(32).toString('base64'));
 * ```
 */
export function parseMasterKey(
  text: string,
  options: { variable?: string; allowWeak?: boolean } = {},
): Uint8Array {
  const variable = options.variable ?? 'key';
  const invalid = (reason: string) =>
    new SignerError('MASTER_KEY_INVALID', { variable, reason }, `${variable}: ${reason}`);
  const s = text.trim();
  let bytes: Buffer;
  if (/^[0-9a-fA-F]+$/.test(s) && s.length === 64) {
    bytes = Buffer.from(s, 'hex');
  } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    // Buffer's base64 decoder accepts both alphabets and skips junk, hence the regex above.
    bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else {
    throw invalid('must be 32 bytes written as 64 hex digits or base64');
  }
  if (bytes.length !== 32) throw invalid(`must be 32 bytes, got ${bytes.length}`);
  if (!options.allowWeak) {
    if (new Set(bytes).size < MIN_DISTINCT_BYTES) {
      throw invalid(
        'looks weak (too few distinct bytes); generate one with `openssl rand -base64 32`',
      );
    }
    // 32 random bytes are all printable ASCII with probability (95/256)^32 ≈ 1e-14: this is a
    // password or a hex/base64 string encoded twice, not a key.
    if (bytes.every((b) => b >= 0x20 && b < 0x7f)) {
      throw invalid(
        'looks like text, not 32 random bytes; generate one with `openssl rand -base64 32`',
      );
    }
    if (bytes.equals(DEV_MASTER_KEY)) throw invalid('is the public development key');
  }
  return new Uint8Array(bytes);
}

function checkVersion(version: number, option: string): number {
  if (!Number.isInteger(version) || version < 1 || version > 999_999_999) {
    throw new SignerError(
      'MASTER_KEY_INVALID',
      { variable: option, reason: 'version must be an integer ≥ 1' },
      `${option}: version must be an integer ≥ 1`,
    );
  }
  return version;
}

/**
 * Builds the keystore master keys at start-up. A missing, malformed or weak key throws
 * `MASTER_KEY_INVALID` (stop the process), except that with `allowDevDefault` (local
 * development only, e.g. the zero-configuration `pnpm start`) a missing key falls back to a
 * well-known development key and weak keys are accepted, with a warning in `warnings`.
 *
 * @example
 * ```ts
 * const masterKeys = loadMasterKeys({ key: config.masterKey, allowDevDefault: config.localDevelopment });
 * for (const w of masterKeys.warnings) logger.warn(w);
 * ```
 */
export function loadMasterKeys(options: MasterKeyOptions = {}): MasterKeys {
  const allowWeak = options.allowDevDefault ?? false;
  const warnings: string[] = [];
  const keys = new Map<number, Uint8Array>();
  const currentVersion =
    options.version === undefined ? 1 : checkVersion(options.version, 'version');
  let devDefault = false;
  const raw = options.key;
  if (raw === undefined || raw.trim() === '') {
    if (!allowWeak) {
      throw new SignerError(
        'MASTER_KEY_INVALID',
        { variable: 'key', reason: 'is not set' },
        'key is not set (32 random bytes, hex or base64); required outside local development',
      );
    }
    devDefault = true;
    keys.set(currentVersion, new Uint8Array(DEV_MASTER_KEY));
    warnings.push(
      'No master key is set: using the public development key. Never use this keystore for real funds.',
    );
  } else {
    keys.set(currentVersion, parseMasterKey(raw, { variable: 'key', allowWeak }));
  }
  for (const entry of options.previous ?? []) {
    const version = checkVersion(entry.version, 'previous');
    if (keys.has(version)) {
      throw new SignerError(
        'MASTER_KEY_INVALID',
        { variable: 'previous', reason: `version ${version} given twice` },
        `previous: version ${version} given twice`,
      );
    }
    keys.set(version, parseMasterKey(entry.key, { variable: 'previous', allowWeak }));
  }
  return { currentVersion, keys, devDefault, warnings };
}
