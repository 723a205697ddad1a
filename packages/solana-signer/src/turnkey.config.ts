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

/**
 * Environment variables read by {@link loadTurnkeyConfig}.
 *
 * @example
 * ```ts
 * const configured = Boolean(process.env[TURNKEY_ENV.organizationId]);
 * ```
 */
export const TURNKEY_ENV = {
  apiBaseUrl: 'TURNKEY_API_BASE_URL',
  organizationId: 'TURNKEY_ORGANIZATION_ID',
  apiPublicKey: 'TURNKEY_API_PUBLIC_KEY',
  apiPrivateKey: 'TURNKEY_API_PRIVATE_KEY',
} as const;

function configError(variable: string, reason: string): SignerError<'CUSTODY_CONFIG_INVALID'> {
  return new SignerError('CUSTODY_CONFIG_INVALID', { variable, reason }, `${variable}: ${reason}`);
}

/** Throws `CUSTODY_CONFIG_INVALID` naming the variable of the first malformed field. */
export function validateTurnkeyConfig(config: TurnkeyCustodyConfig): void {
  try {
    const url = new URL(config.apiBaseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw configError(TURNKEY_ENV.apiBaseUrl, 'must be an http(s) URL');
  }
  if (!config.organizationId.trim()) throw configError(TURNKEY_ENV.organizationId, 'is empty');
  if (!/^0[23][0-9a-fA-F]{64}$/.test(config.apiPublicKey)) {
    throw configError(
      TURNKEY_ENV.apiPublicKey,
      'must be a compressed P-256 public key (66 hex digits, 02/03 prefix)',
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(config.apiPrivateKey)) {
    throw configError(TURNKEY_ENV.apiPrivateKey, 'must be a P-256 private key (64 hex digits)');
  }
}

/**
 * Reads Turnkey credentials from the environment: `null` when none of the variables is set
 * (the service then uses the local keystore), a `CUSTODY_CONFIG_INVALID` error when only
 * some are, or when one is malformed.
 *
 * @example
 * ```ts
 * const turnkey = loadTurnkeyConfig(process.env);
 * const custody = turnkey ? new TurnkeyCustody(turnkey) : new LocalKeystoreCustody(prisma, masterKeys);
 * ```
 */
export function loadTurnkeyConfig(
  env: Record<string, string | undefined>,
): TurnkeyCustodyConfig | null {
  const values = Object.fromEntries(
    Object.entries(TURNKEY_ENV).map(([field, variable]) => [
      field,
      env[variable]?.trim() || undefined,
    ]),
  );
  const missing = Object.entries(TURNKEY_ENV).filter(([field]) => values[field] === undefined);
  if (missing.length === Object.keys(TURNKEY_ENV).length) return null;
  const [firstMissing] = missing;
  if (firstMissing)
    throw configError(
      firstMissing[1],
      'is not set (Turnkey needs all of TURNKEY_API_BASE_URL, TURNKEY_ORGANIZATION_ID, TURNKEY_API_PUBLIC_KEY, TURNKEY_API_PRIVATE_KEY)',
    );
  const config = values as unknown as TurnkeyCustodyConfig;
  validateTurnkeyConfig(config);
  return config;
}
