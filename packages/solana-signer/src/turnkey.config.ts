/**
 * Turnkey settings, apart from the custody class: reading and checking them loads no Turnkey
 * code, so the package root can export them (a service decides at start-up which custody it
 * runs) while `TurnkeyCustody` and `@turnkey/sdk-server` stay behind `@waiaas/solana-signer/turnkey`.
 */
import { SignerError } from './errors.js';

/**
 * Turnkey API credentials and call limits.
 *
 * @example
 * ```ts
 * const config: TurnkeyCustodyConfig = { apiBaseUrl: 'https://api.turnkey.com', organizationId, apiPublicKey, apiPrivateKey, timeoutMs: 20_000 };
 * ```
 */
export interface TurnkeyCustodyConfig {
  /** e.g. `https://api.turnkey.com`. */
  apiBaseUrl: string;
  /** The organisation (or sub-organisation) that owns the wallets. */
  organizationId: string;
  /** API key public half: compressed P-256 point, 66 hex digits. */
  apiPublicKey: string;
  /** API key private half: P-256 scalar, 64 hex digits. Never logged. */
  apiPrivateKey: string;
  /** Overall deadline per operation, retries and activity polling included (default 30 000 ms). */
  timeoutMs?: number;
  /** Timeout of one HTTP attempt; a timed-out attempt is retried within the deadline (default 10 000 ms). */
  attemptTimeoutMs?: number;
  /** Retries after the first attempt, on 429/5xx/network/attempt timeouts only (default 3). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 250 ms). */
  minBackoffMs?: number;
  /** Delay between polls of an activity that is not finished yet (default 500 ms). */
  pollIntervalMs?: number;
}

/** The credentials {@link loadTurnkeyConfig} requires, all or none. */
const CREDENTIALS = ['apiBaseUrl', 'organizationId', 'apiPublicKey', 'apiPrivateKey'] as const;

/**
 * Turnkey settings as a service's configuration gives them: any field may be missing. An error
 * names the field at fault (`apiPublicKey`, …) in `context.variable`.
 */
export type TurnkeyConfigInput = Partial<TurnkeyCustodyConfig>;

function configError(field: string, reason: string): SignerError<'CUSTODY_CONFIG_INVALID'> {
  return new SignerError(
    'CUSTODY_CONFIG_INVALID',
    { variable: field, reason },
    `${field}: ${reason}`,
  );
}

/** Throws `CUSTODY_CONFIG_INVALID` naming the first malformed field. */
export function validateTurnkeyConfig(config: TurnkeyCustodyConfig): void {
  try {
    const url = new URL(config.apiBaseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw configError('apiBaseUrl', 'must be an http(s) URL');
  }
  if (!config.organizationId.trim()) throw configError('organizationId', 'is empty');
  if (!/^0[23][0-9a-fA-F]{64}$/.test(config.apiPublicKey)) {
    throw configError(
      'apiPublicKey',
      'must be a compressed P-256 public key (66 hex digits, 02/03 prefix)',
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(config.apiPrivateKey)) {
    throw configError('apiPrivateKey', 'must be a P-256 private key (64 hex digits)');
  }
}

/**
 * Checks Turnkey settings: `null` when no credential is given (the service then uses the local
 * keystore), a `CUSTODY_CONFIG_INVALID` error when only some are, or when one is malformed.
 * Blank strings count as missing.
 *
 * @example
 * ```ts
 * const turnkey = loadTurnkeyConfig({ apiBaseUrl, organizationId, apiPublicKey, apiPrivateKey });
 * const custody = turnkey ? new TurnkeyCustody(turnkey) : new LocalKeystoreCustody(prisma, masterKeys);
 * ```
 */
export function loadTurnkeyConfig(input: TurnkeyConfigInput): TurnkeyCustodyConfig | null {
  const config: TurnkeyConfigInput = { ...input };
  for (const field of CREDENTIALS) {
    const value = config[field]?.trim();
    if (value) config[field] = value;
    else delete config[field];
  }
  const missing = CREDENTIALS.filter((field) => config[field] === undefined);
  if (missing.length === CREDENTIALS.length) return null;
  const [firstMissing] = missing;
  if (firstMissing)
    throw configError(firstMissing, `is not set (Turnkey needs all of ${CREDENTIALS.join(', ')})`);
  validateTurnkeyConfig(config as TurnkeyCustodyConfig);
  return config as TurnkeyCustodyConfig;
}
