/**
 * One configuration vocabulary for every WAIaaS process. Each process (the API, the
 * confirmation worker) parses its environment once at start-up with a zod schema built from
 * these fields, so the same thing has the same name, the same default and the same bounds
 * everywhere; library packages take options and never read the environment.
 */
import { z } from 'zod';
import { CodedError } from './coded-error.js';

/** Context of {@link ConfigError}'s one code. */
export interface ConfigErrorContext {
  CONFIG_INVALID: { variable: string; reason: string };
}

/**
 * A configuration variable is missing or malformed. The message names the variable.
 *
 * @example
 * ```ts
 * try { parseEnv(schema, process.env); } catch (e) { if (e instanceof ConfigError) console.error(e.variable); }
 * ```
 */
export class ConfigError extends CodedError<ConfigErrorContext, 'CONFIG_INVALID'> {
  override readonly name = 'ConfigError';

  constructor(variable: string, reason: string) {
    super('CONFIG_INVALID', { variable, reason }, `${variable}: ${reason}`);
  }

  /** The variable at fault. */
  get variable(): string {
    return this.context.variable;
  }
}

/**
 * A non-negative integer given as decimal digits, within `min..max`.
 *
 * @example
 * ```ts
 * const port = envInt(0, 65_535).default(3000);
 * ```
 */
export function envInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be between ${min} and ${max}`)
        .max(max, `must be between ${min} and ${max}`),
    );
}

/**
 * `true` or `false`, nothing else.
 *
 * @example
 * ```ts
 * const flag = envBool().default(false);
 * ```
 */
export function envBool() {
  return z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((v) => v === 'true');
}

/**
 * A URL whose scheme is one of `protocols` (with the colon: `'https:'`).
 *
 * @example
 * ```ts
 * const rpc = envUrl(['http:', 'https:']);
 * ```
 */
export function envUrl(protocols: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
      return;
    }
    if (!protocols.includes(parsed.protocol))
      ctx.addIssue({
        code: 'custom',
        message: `must use ${protocols.join(' or ')}, got ${parsed.protocol}`,
      });
  });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The variables both processes read, with one name, default and bound each. Spread into a
 * process's schema: `z.object({ ...COMMON_ENV, PORT: envInt(0, 65_535).default(3000) })`.
 *
 * @example
 * ```ts
 * const schema = z.object({ ...COMMON_ENV, BATCH_SIZE: envInt(1, 256).default(100) });
 * ```
 */
export const COMMON_ENV = {
  /** PostgreSQL connection string (required). */
  DATABASE_URL: envUrl(['postgresql:', 'postgres:']),
  /** Pool connections per process. At least 2: a claim or transaction holds one while a
   * health check or a second loop needs another. */
  DATABASE_POOL_SIZE: envInt(2, 200).default(10),
  /** false: no named prepared statements (only behind a pooler that cannot keep them). */
  DATABASE_PREPARED_STATEMENTS: envBool().default(true),
  /** Redis connection string; unset → no shared cache. */
  REDIS_URL: envUrl(['redis:', 'rediss:']).optional(),
  /** Prefix of every Redis key and channel; every process of one deployment must agree. */
  REDIS_KEY_PREFIX: z.string().default('waiaas:'),
  /** Solana JSON-RPC endpoint (required). */
  SOLANA_RPC_URL: envUrl(['http:', 'https:']),
  /** Per-attempt RPC timeout (ms). */
  SOLANA_RPC_TIMEOUT_MS: envInt(100, 120_000).default(5_000),
  /** Retries of transient RPC failures (network, 429, 5xx) per call. */
  SOLANA_RPC_RETRIES: envInt(0, 10).default(2),
  /**
   * Seconds an AWAITING_APPROVAL transfer waits for its owner before it becomes EXPIRED and
   * stops counting against the limits (default 86400 = 24 h; 60..2592000 = 30 days). The API
   * stamps each waiting transfer with it; the worker's sweep expires them.
   */
  APPROVAL_TTL_SECONDS: envInt(60, 2_592_000).default(86_400),
  /** true: webhooks may target loopback/private hosts (local development only; SSRF otherwise). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: envBool().default(false),
  /** pino level. */
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
};

/** How {@link parseEnv} treats the environment. */
export interface ParseEnvOptions {
  /**
   * Old variable name → current name. A value under the old name is used when the current
   * one is unset, with a deprecation warning; when both are set the current name wins.
   */
  renamed?: Readonly<Record<string, string>>;
  /** Receives deprecation warnings (default: `process.emitWarning` as a DeprecationWarning). */
  warn?: (message: string) => void;
}

type Env = Record<string, string | undefined>;

function emitDeprecation(message: string): void {
  process.emitWarning(message, 'DeprecationWarning');
}

/** Trimmed values, empty ones dropped ("unset", as in most process managers' env files). */
function cleaned(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim();
    if (trimmed !== undefined && trimmed !== '') out[name] = trimmed;
  }
  return out;
}

/** Moves values from old names to current ones; returns current name → old name used. */
function applyRenames(
  values: Record<string, string>,
  renamed: Readonly<Record<string, string>>,
  warn: (message: string) => void,
): Map<string, string> {
  const cameFrom = new Map<string, string>();
  for (const [oldName, newName] of Object.entries(renamed)) {
    const old = values[oldName];
    if (old === undefined) continue;
    delete values[oldName];
    if (values[newName] !== undefined) {
      warn(`${oldName} is deprecated and ignored: ${newName} is set`);
      continue;
    }
    warn(`${oldName} is deprecated: rename it to ${newName} (the old name stops working soon)`);
    values[newName] = old;
    cameFrom.set(newName, oldName);
  }
  return cameFrom;
}

/**
 * Parses `env` with `schema`: trims values, treats empty ones as unset, honours renamed
 * variables, and throws a {@link ConfigError} naming the first bad variable (by the name the
 * operator used).
 *
 * @throws ConfigError
 * @example
 * ```ts
 * const env = parseEnv(z.object({ ...COMMON_ENV }), process.env, { renamed: { CACHE_PREFIX: 'REDIS_KEY_PREFIX' } });
 * ```
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Env,
  options: ParseEnvOptions = {},
): z.output<S> {
  const values = cleaned(env);
  const cameFrom = applyRenames(values, options.renamed ?? {}, options.warn ?? emitDeprecation);
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const reason =
    issue?.code === 'invalid_type' && values[name] === undefined
      ? 'is required'
      : (issue?.message ?? 'is invalid');
  throw new ConfigError(cameFrom.get(name) ?? name, reason);
}
