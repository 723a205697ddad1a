import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  isSignerError,
  loadMasterKeys,
  loadTurnkeyConfig,
  type MasterKeys,
  type PreviousMasterKey,
  type TurnkeyConfigInput,
  type TurnkeyCustodyConfig,
} from '@waiaas/solana-signer';
import {
  COMMON_ENV,
  ConfigError,
  envInt,
  envUrl,
  parseEnv,
  type ParseEnvOptions,
} from '@waiaas/shared';
import { z } from 'zod';

const SOLANA_CLUSTERS_LIST = ['mainnet-beta', 'devnet', 'testnet', 'localnet', 'unknown'] as const;

/**
 * Typed configuration, parsed once at start-up from the environment with zod (the shared
 * vocabulary of `@waiaas/shared`: the same names, defaults and bounds as the worker's). A bad
 * value stops the process with a message naming the variable (nothing is read from
 * `process.env` elsewhere).
 */

export type CustodyConfig =
  | {
      kind: 'LOCAL';
      /**
       * WALLET_MASTER_KEY: 32 random bytes, hex or base64, sealing the local keystore;
       * WALLET_MASTER_KEY_VERSION / WALLET_PREVIOUS_MASTER_KEYS for rotation (the KEYSTORE_*
       * names still work, with a deprecation warning).
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
    /**
     * API_PROCESSES: processes serving the port (node:cluster), each with its own pool of
     * DATABASE_POOL_SIZE connections (default 1). More than one needs REDIS_URL: without it the
     * cache, its invalidations and the rate limits would be each process's own. "auto": one
     * per core, at most {@link MAX_AUTO_PROCESSES}. See docs/decisions/api-processes.md for
     * when it pays.
     */
    processes: number;
  };
  database: {
    /** DATABASE_URL: PostgreSQL connection string (required). */
    url: string;
    /** DATABASE_POOL_SIZE: pool connections per process (default 10, 2..200). */
    poolSize: number;
    /** DATABASE_PREPARED_STATEMENTS: hot statements prepared once per connection (default true). */
    preparedStatements: boolean;
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
  approvals: {
    /** APPROVAL_TTL_SECONDS: how long a transfer waits for the owner's approval before it expires (default 86400 = 24 h). */
    ttlSeconds: number;
  };
  delays: {
    /**
     * DELAY_RELEASE_INTERVAL_MS: how often this API process releases DELAYED transfers that are
     * due (judged again, signed, PENDING); default 1000. 0 disables the loop in this process
     * (another instance must run it). Every instance may run it: releases are exactly-once.
     */
    releaseIntervalMs: number;
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

export { ConfigError };

type Env = Record<string, string | undefined>;

/** Variables renamed for one vocabulary across processes; the old names still work, with a warning. */
const RENAMED = {
  KEYSTORE_MASTER_KEY: 'WALLET_MASTER_KEY',
  KEYSTORE_MASTER_KEY_VERSION: 'WALLET_MASTER_KEY_VERSION',
  KEYSTORE_PREVIOUS_MASTER_KEYS: 'WALLET_PREVIOUS_MASTER_KEYS',
} as const;

/** This process's variable for each option of the signer's `loadMasterKeys`. */
const MASTER_KEY_VARIABLES: Record<string, string> = {
  key: 'WALLET_MASTER_KEY',
  version: 'WALLET_MASTER_KEY_VERSION',
  previous: 'WALLET_PREVIOUS_MASTER_KEYS',
};

/** This process's variable for each Turnkey credential of the signer's `loadTurnkeyConfig`. */
const TURNKEY_VARIABLES: Record<string, string> = {
  apiBaseUrl: 'TURNKEY_API_BASE_URL',
  organizationId: 'TURNKEY_ORGANIZATION_ID',
  apiPublicKey: 'TURNKEY_API_PUBLIC_KEY',
  apiPrivateKey: 'TURNKEY_API_PRIVATE_KEY',
};

const KEY_VERSION = /^[1-9][0-9]{0,8}$/;
const VERSION_REASON = 'version must be an integer ≥ 1';

/** `version:key,version:key` (older master keys) as the signer's `previous` option. */
const previousMasterKeys = z.string().transform((raw, ctx): PreviousMasterKey[] => {
  const keys: PreviousMasterKey[] = [];
  for (const entry of raw.split(',')) {
    const sep = entry.indexOf(':');
    if (sep < 0) {
      ctx.addIssue({ code: 'custom', message: 'entries must be version:key' });
      return z.NEVER;
    }
    const version = entry.slice(0, sep).trim();
    if (!KEY_VERSION.test(version)) {
      ctx.addIssue({ code: 'custom', message: VERSION_REASON });
      return z.NEVER;
    }
    keys.push({ version: Number(version), key: entry.slice(sep + 1) });
  }
  return keys;
});

/** The most API_PROCESSES may ask for, and the most "auto" picks (each process has its own pool). */
const MAX_PROCESSES = 64;
export const MAX_AUTO_PROCESSES = 8;

/**
 * How many processes serve the API. Several share the caches' invalidations and the rate
 * limits through Redis, so they need REDIS_URL.
 */
function apiProcesses(requested: number | 'auto', redisUrl: string | undefined): number {
  const processes =
    requested === 'auto' ? Math.min(availableParallelism(), MAX_AUTO_PROCESSES) : requested;
  if (processes > 1 && redisUrl === undefined)
    throw new ConfigError(
      'API_PROCESSES',
      'more than one process needs REDIS_URL (without Redis the cache, its invalidations and the rate limits are per process)',
    );
  return processes;
}

const TRUST_PROXY_ENTRY = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

const SCHEMA = z.object({
  ...COMMON_ENV,
  PORT: envInt(0, 65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  API_PROCESSES: z
    .string()
    .default('1')
    .transform((raw, ctx): number | 'auto' => {
      const value = raw.trim();
      if (value === 'auto') return 'auto';
      if (/^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_PROCESSES)
        return Number(value);
      ctx.addIssue({ code: 'custom', message: `must be auto or an integer 1..${MAX_PROCESSES}` });
      return z.NEVER;
    }),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((raw, ctx): boolean | string[] => {
      if (raw === 'false') return false;
      if (raw === 'true') return true;
      const list = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (list.length === 0 || list.some((s) => !TRUST_PROXY_ENTRY.test(s))) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be true, false or a comma-separated list of IPs/CIDRs',
        });
        return z.NEVER;
      }
      return list;
    }),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(100, 600_000).default(5_000),
  DATABASE_CONNECTION_TIMEOUT_MS: envInt(100, 600_000).default(5_000),
  DATABASE_SLOW_QUERY_MS: envInt(0, 600_000).default(200),
  SOLANA_CLUSTER: z
    .enum(SOLANA_CLUSTERS_LIST, { error: `must be one of ${SOLANA_CLUSTERS_LIST.join(', ')}` })
    .optional(),
  SOLANA_EXPLORER_TX_URL: envUrl(['http:', 'https:'])
    .refine((v) => v.includes('{signature}'), 'must contain {signature}')
    .optional(),
  ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters'),
  RATE_LIMIT_PER_MINUTE: envInt(1, 10_000_000).default(1200),
  AUTH_FAILURES_PER_MINUTE: envInt(1, 10_000_000).default(60),
  DELAY_RELEASE_INTERVAL_MS: envInt(0, 3_600_000).default(1_000),
  CONSOLE_DIST_DIR: z.string().optional(),
  CONSOLE_SESSION_TTL_MINUTES: envInt(5, 10_080).default(480),
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      error: 'must be development, production or test',
    })
    .default('development'),
  WALLET_MASTER_KEY: z.string().optional(),
  WALLET_MASTER_KEY_VERSION: z
    .string()
    .regex(KEY_VERSION, VERSION_REASON)
    .transform(Number)
    .optional(),
  WALLET_PREVIOUS_MASTER_KEYS: previousMasterKeys.optional(),
  TURNKEY_API_BASE_URL: z.string().optional(),
  TURNKEY_ORGANIZATION_ID: z.string().optional(),
  TURNKEY_API_PUBLIC_KEY: z.string().optional(),
  TURNKEY_API_PRIVATE_KEY: z.string().optional(),
});

type ParsedEnv = z.output<typeof SCHEMA>;

/** Turnkey credentials, validated by the signer package; null when none is set. */
function turnkeyConfig(env: ParsedEnv): TurnkeyCustodyConfig | null {
  const given: TurnkeyConfigInput = {
    apiBaseUrl: env.TURNKEY_API_BASE_URL,
    organizationId: env.TURNKEY_ORGANIZATION_ID,
    apiPublicKey: env.TURNKEY_API_PUBLIC_KEY,
    apiPrivateKey: env.TURNKEY_API_PRIVATE_KEY,
  };
  if (Object.values(given).every((v) => v === undefined)) return null;
  try {
    return loadTurnkeyConfig({
      ...given,
      apiBaseUrl: env.TURNKEY_API_BASE_URL ?? 'https://api.turnkey.com',
    });
  } catch (e) {
    if (isSignerError(e, 'CUSTODY_CONFIG_INVALID')) {
      const field = e.context.variable;
      throw new ConfigError(TURNKEY_VARIABLES[field] ?? field, e.context.reason);
    }
    throw e;
  }
}

/** The name the operator used for `variable`: its old name when only that one is set. */
function nameGiven(raw: Env, variable: string): string {
  if (raw[variable]?.trim()) return variable;
  const old = Object.entries(RENAMED).find(([, current]) => current === variable)?.[0];
  return old !== undefined && raw[old]?.trim() ? old : variable;
}

/** The local keystore's master keys, validated by the signer package. */
function masterKeys(env: ParsedEnv, raw: Env, allowDevDefault: boolean): MasterKeys {
  try {
    return loadMasterKeys({
      key: env.WALLET_MASTER_KEY,
      version: env.WALLET_MASTER_KEY_VERSION,
      previous: env.WALLET_PREVIOUS_MASTER_KEYS,
      allowDevDefault,
    });
  } catch (e) {
    if (isSignerError(e, 'MASTER_KEY_INVALID')) {
      const variable = MASTER_KEY_VARIABLES[e.context.variable] ?? e.context.variable;
      throw new ConfigError(nameGiven(raw, variable), e.context.reason);
    }
    throw e;
  }
}

export const SOLANA_CLUSTERS = SOLANA_CLUSTERS_LIST;
export type SolanaCluster = (typeof SOLANA_CLUSTERS)[number];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The cluster named by the RPC URL's host, for explorer links. */
function clusterOfRpcUrl(rpcUrl: string): SolanaCluster {
  const host = new URL(rpcUrl).hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host)) return 'localnet';
  for (const cluster of ['devnet', 'testnet', 'mainnet'] as const)
    if (host.includes(cluster)) return cluster === 'mainnet' ? 'mainnet-beta' : cluster;
  return 'unknown';
}

/** The Solana Explorer link for a signature on `cluster`; null when there is none. */
function defaultExplorerTxUrl(cluster: SolanaCluster, rpcUrl: string): string | null {
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
export function loadConfig(env: Env, options: Pick<ParseEnvOptions, 'warn'> = {}): AppConfig {
  const e = parseEnv(SCHEMA, env, { ...options, renamed: RENAMED });
  const cluster = e.SOLANA_CLUSTER ?? clusterOfRpcUrl(e.SOLANA_RPC_URL);
  const turnkey = turnkeyConfig(e);
  const custody: CustodyConfig =
    turnkey !== null
      ? { kind: 'TURNKEY', turnkey }
      : { kind: 'LOCAL', masterKeys: masterKeys(e, env, e.NODE_ENV === 'development') };

  return {
    server: {
      port: e.PORT,
      host: e.HOST,
      trustProxy: e.TRUST_PROXY,
      bodyLimit: 64 * 1024,
      processes: apiProcesses(e.API_PROCESSES, e.REDIS_URL),
    },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      connectionTimeoutMs: e.DATABASE_CONNECTION_TIMEOUT_MS,
      slowQueryMs: e.DATABASE_SLOW_QUERY_MS,
    },
    redis: { url: e.REDIS_URL ?? null, keyPrefix: e.REDIS_KEY_PREFIX },
    solana: {
      rpcUrl: e.SOLANA_RPC_URL,
      cluster,
      explorerTxUrl: e.SOLANA_EXPLORER_TX_URL ?? defaultExplorerTxUrl(cluster, e.SOLANA_RPC_URL),
      rpcTimeoutMs: e.SOLANA_RPC_TIMEOUT_MS,
      rpcRetries: e.SOLANA_RPC_RETRIES,
    },
    webhooks: { allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS },
    approvals: { ttlSeconds: e.APPROVAL_TTL_SECONDS },
    delays: { releaseIntervalMs: e.DELAY_RELEASE_INTERVAL_MS },
    auth: { adminToken: e.ADMIN_TOKEN },
    custody,
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    },
    console: {
      distDir: e.CONSOLE_DIST_DIR ?? DEFAULT_CONSOLE_DIST,
      sessionTtlMinutes: e.CONSOLE_SESSION_TTL_MINUTES,
    },
    log: { level: e.LOG_LEVEL },
    nodeEnv: e.NODE_ENV,
  };
}

/** DI token for the {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');
