import { fileURLToPath } from 'node:url';
import {
  isSignerError,
  loadMasterKeys,
  loadTurnkeyConfig,
  MASTER_KEY_ENV,
  type MasterKeys,
  TURNKEY_ENV,
  type TurnkeyCustodyConfig,
} from '@waiaas/solana-signer';

/**
 * Typed configuration, parsed once at start-up from the environment. A bad value stops the
 * process with a message naming the variable (nothing is read from `process.env` elsewhere).
 */

export type CustodyConfig =
  | {
      kind: 'LOCAL';
      /**
       * WALLET_MASTER_KEY (alias KEYSTORE_MASTER_KEY): 32 random bytes, hex or base64, sealing the
       * local keystore; KEYSTORE_MASTER_KEY_VERSION / KEYSTORE_PREVIOUS_MASTER_KEYS for rotation.
       * Unset with NODE_ENV=development: the public development key, with a warning.
       */
      masterKeys: MasterKeys;
    }
  | {
      kind: 'TURNKEY';
      /**
       * TURNKEY_ORGANIZATION_ID, TURNKEY_API_PUBLIC_KEY, TURNKEY_API_PRIVATE_KEY (P-256 API key
       * pair, hex; never logged) and TURNKEY_API_BASE_URL (default https://api.turnkey.com).
       * Any of them set → Turnkey custody, and all must be valid.
       */
      turnkey: TurnkeyCustodyConfig;
    };

export interface AppConfig {
  server: {
    /** PORT: TCP port to listen on (default 3000). */
    port: number;
    /** HOST: interface to bind (default 0.0.0.0). */
    host: string;
    /** TRUST_PROXY: Fastify trustProxy: true/false, or a comma-separated list of proxy IPs/CIDRs (default false). */
    trustProxy: boolean | string[];
    /** Maximum request body in bytes (64 KiB: a part of the public API contract, not tunable). */
    bodyLimit: number;
  };
  database: {
    /** DATABASE_URL: PostgreSQL connection string (required). */
    url: string;
    /** DATABASE_POOL_SIZE: pool connections per process (default 10). */
    poolSize: number;
    /** DATABASE_STATEMENT_TIMEOUT_MS: server-side statement timeout (default 5000). */
    statementTimeoutMs: number;
    /** DATABASE_CONNECTION_TIMEOUT_MS: wait for a pool connection (default 5000). */
    connectionTimeoutMs: number;
    /** DATABASE_SLOW_QUERY_MS: queries at least this slow are logged as db_query_slow (default 200; 0 logs every query). */
    slowQueryMs: number;
  };
  redis: {
    /** REDIS_URL: Redis connection string; unset → in-process cache (single instance only). */
    url: string | null;
    /** REDIS_KEY_PREFIX: prefix for every Redis key and channel (default "waiaas:"). */
    keyPrefix: string;
  };
  solana: {
    /** SOLANA_RPC_URL: JSON-RPC endpoint of the cluster (required; `pnpm start` supplies the local ledger). */
    rpcUrl: string;
    /** SOLANA_RPC_TIMEOUT_MS: per-attempt RPC timeout (default 5000). */
    rpcTimeoutMs: number;
    /** SOLANA_RPC_RETRIES: retries of transient RPC failures per call (default 2). */
    rpcRetries: number;
    /**
     * SOLANA_CLUSTER: mainnet-beta | devnet | testnet | localnet | unknown. Default: read from
     * the RPC URL's host (loopback → localnet, a host naming devnet/testnet/mainnet → that one,
     * anything else → unknown). Only used to link signatures to an explorer.
     */
    cluster: SolanaCluster;
    /**
     * SOLANA_EXPLORER_TX_URL: explorer link for a signature, with `{signature}` where it goes.
     * Default: the Solana Explorer for the cluster (localnet: pointed at SOLANA_RPC_URL);
     * null for an unknown cluster (signatures are shown without a link).
     */
    explorerTxUrl: string | null;
  };
  webhooks: {
    /**
     * WEBHOOK_ALLOW_PRIVATE_TARGETS: true lets owners register webhook URLs on loopback,
     * private and internal hosts (local development only; default false: SSRF).
     */
    allowPrivateTargets: boolean;
  };
  auth: {
    /** ADMIN_TOKEN: the operator's bearer token (required, at least 32 characters). */
    adminToken: string;
  };
  /** TURNKEY_* set → Turnkey custody; otherwise the local keystore under WALLET_MASTER_KEY. */
  custody: CustodyConfig;
  rateLimit: {
    /** RATE_LIMIT_PER_MINUTE: requests per minute per API key (default 1200). */
    perMinute: number;
    /**
     * AUTH_FAILURES_PER_MINUTE: failed authentications per minute per client address (the
     * socket's, or the forwarded one with TRUST_PROXY) before its unknown keys are refused
     * with 429 without a database lookup (default 60).
     */
    authFailuresPerMinute: number;
  };
  console: {
    /**
     * CONSOLE_DIST_DIR: the built owner console (`apps/console/dist`), served under /console.
     * Default: apps/console/dist of this checkout. A folder without index.html → /console answers 404.
     */
    distDir: string;
    /** CONSOLE_SESSION_TTL_MINUTES: lifetime of a console sign-in (default 480 = 8 h, 5..10080). */
    sessionTtlMinutes: number;
  };
  log: {
    /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent; default info). */
    level: string;
  };
  /** NODE_ENV: development | production | test (default development). */
  nodeEnv: 'development' | 'production' | 'test';
}

/**
 * A configuration variable is missing or malformed. The message names the variable.
 *
 * @example
 * ```ts
 * try { loadConfig(process.env); } catch (e) { if (e instanceof ConfigError) console.error(e.variable); }
 * ```
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = str(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[], value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return value;
}

function trustProxy(env: Env): boolean | string[] {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0 || list.some((s) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s))) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must be true, false or a comma-separated list of IPs/CIDRs',
    );
  }
  return list;
}

function turnkeyConfig(env: Env): TurnkeyCustodyConfig | null {
  const anySet = Object.values(TURNKEY_ENV).some((name) => str(env, name) !== undefined);
  if (!anySet) return null;
  try {
    return loadTurnkeyConfig({
      [TURNKEY_ENV.apiBaseUrl]: str(env, TURNKEY_ENV.apiBaseUrl) ?? 'https://api.turnkey.com',
      [TURNKEY_ENV.organizationId]: str(env, TURNKEY_ENV.organizationId),
      [TURNKEY_ENV.apiPublicKey]: str(env, TURNKEY_ENV.apiPublicKey),
      [TURNKEY_ENV.apiPrivateKey]: str(env, TURNKEY_ENV.apiPrivateKey),
    });
  } catch (e) {
    if (isSignerError(e, 'CUSTODY_CONFIG_INVALID'))
      throw new ConfigError(e.context.variable, e.context.reason);
    throw e;
  }
}

function masterKeys(env: Env, allowDevDefault: boolean): MasterKeys {
  const key = str(env, 'WALLET_MASTER_KEY') ?? str(env, MASTER_KEY_ENV.key);
  try {
    return loadMasterKeys(
      {
        [MASTER_KEY_ENV.key]: key,
        [MASTER_KEY_ENV.version]: str(env, MASTER_KEY_ENV.version),
        [MASTER_KEY_ENV.previous]: str(env, MASTER_KEY_ENV.previous),
      },
      { allowDevDefault },
    );
  } catch (e) {
    if (isSignerError(e, 'MASTER_KEY_INVALID')) {
      const variable =
        e.context.variable === MASTER_KEY_ENV.key ? 'WALLET_MASTER_KEY' : e.context.variable;
      throw new ConfigError(variable, e.context.reason);
    }
    throw e;
  }
}

export const SOLANA_CLUSTERS = [
  'mainnet-beta',
  'devnet',
  'testnet',
  'localnet',
  'unknown',
] as const;
export type SolanaCluster = (typeof SOLANA_CLUSTERS)[number];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function solanaCluster(env: Env, rpcUrl: string): SolanaCluster {
  const raw = str(env, 'SOLANA_CLUSTER');
  if (raw !== undefined) {
    if (!(SOLANA_CLUSTERS as readonly string[]).includes(raw))
      throw new ConfigError('SOLANA_CLUSTER', `must be one of ${SOLANA_CLUSTERS.join(', ')}`);
    return raw as SolanaCluster;
  }
  const host = new URL(rpcUrl).hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host)) return 'localnet';
  for (const cluster of ['devnet', 'testnet', 'mainnet'] as const)
    if (host.includes(cluster)) return cluster === 'mainnet' ? 'mainnet-beta' : cluster;
  return 'unknown';
}

function explorerTxUrl(env: Env, cluster: SolanaCluster, rpcUrl: string): string | null {
  const raw = str(env, 'SOLANA_EXPLORER_TX_URL');
  if (raw !== undefined) {
    url(env, 'SOLANA_EXPLORER_TX_URL', ['http:', 'https:'], raw.replace('{signature}', 'x'));
    if (!raw.includes('{signature}'))
      throw new ConfigError('SOLANA_EXPLORER_TX_URL', 'must contain {signature}');
    return raw;
  }
  const base = 'https://explorer.solana.com/tx/{signature}';
  switch (cluster) {
    case 'mainnet-beta':
      return base;
    case 'devnet':
    case 'testnet':
      return `${base}?cluster=${cluster}`;
    case 'localnet':
      // Only a loopback URL is passed to the explorer: a provider URL may carry an API key.
      return `${base}?cluster=custom&customUrl=${encodeURIComponent(rpcUrl)}`;
    case 'unknown':
      return null;
  }
}

/** apps/console/dist of this checkout (the same from src/config and dist/config). */
const DEFAULT_CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Parses and validates the environment into an {@link AppConfig}.
 *
 * @throws ConfigError naming the first bad variable.
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * const app = await createApp(config);
 * ```
 */
export function loadConfig(env: Env): AppConfig {
  const adminToken = required(env, 'ADMIN_TOKEN');
  if (adminToken.length < 32)
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 32 characters');

  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${nodeEnv}"`);
  }
  const level = str(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const redisUrl = str(env, 'REDIS_URL');
  const rpcUrl = url(env, 'SOLANA_RPC_URL', ['http:', 'https:'], required(env, 'SOLANA_RPC_URL'));
  const cluster = solanaCluster(env, rpcUrl);
  let custody: CustodyConfig;
  const turnkey = turnkeyConfig(env);
  if (turnkey !== null) custody = { kind: 'TURNKEY', turnkey };
  else custody = { kind: 'LOCAL', masterKeys: masterKeys(env, nodeEnv === 'development') };

  return {
    server: {
      port: int(env, 'PORT', 3000, 0, 65535),
      host: str(env, 'HOST') ?? '0.0.0.0',
      trustProxy: trustProxy(env),
      bodyLimit: 64 * 1024,
    },
    database: {
      url: url(env, 'DATABASE_URL', ['postgresql:', 'postgres:'], required(env, 'DATABASE_URL')),
      poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5_000, 100, 600_000),
      connectionTimeoutMs: int(env, 'DATABASE_CONNECTION_TIMEOUT_MS', 5_000, 100, 600_000),
      slowQueryMs: int(env, 'DATABASE_SLOW_QUERY_MS', 200, 0, 600_000),
    },
    redis: {
      url: redisUrl === undefined ? null : url(env, 'REDIS_URL', ['redis:', 'rediss:'], redisUrl),
      keyPrefix: str(env, 'REDIS_KEY_PREFIX') ?? 'waiaas:',
    },
    solana: {
      rpcUrl,
      cluster,
      explorerTxUrl: explorerTxUrl(env, cluster, rpcUrl),
      rpcTimeoutMs: int(env, 'SOLANA_RPC_TIMEOUT_MS', 5_000, 100, 120_000),
      rpcRetries: int(env, 'SOLANA_RPC_RETRIES', 2, 0, 10),
    },
    webhooks: { allowPrivateTargets: bool(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false) },
    auth: { adminToken },
    custody,
    rateLimit: {
      perMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 1200, 1, 10_000_000),
      authFailuresPerMinute: int(env, 'AUTH_FAILURES_PER_MINUTE', 60, 1, 10_000_000),
    },
    console: {
      distDir: str(env, 'CONSOLE_DIST_DIR') ?? DEFAULT_CONSOLE_DIST,
      sessionTtlMinutes: int(env, 'CONSOLE_SESSION_TTL_MINUTES', 480, 5, 10_080),
    },
    log: { level },
    nodeEnv,
  };
}

/** DI token for the {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');
