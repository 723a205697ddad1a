import { isAddress, isSignature, type Address, type Signature } from '@solana/kit';

/**
 * JSON-RPC error codes a Solana validator answers with (agave `rpc-client-api/custom_error.rs`
 * plus the JSON-RPC 2.0 standard ones).
 */
export const RPC_ERROR = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SEND_TRANSACTION_PREFLIGHT_FAILURE: -32002,
  TRANSACTION_SIGNATURE_VERIFICATION_FAILURE: -32003,
  NODE_UNHEALTHY: -32005,
  MIN_CONTEXT_SLOT_NOT_REACHED: -32016,
  UNSUPPORTED_TRANSACTION_VERSION: -32015,
} as const;

/**
 * A JSON-RPC error answered to the client. Internal to the server: it is a wire response,
 * not an error this package throws to its callers (those are `LocalLedgerError`).
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** `-32602` with the validator's "Invalid params" wording. */
export function invalidParams(detail: string): RpcError {
  return new RpcError(RPC_ERROR.INVALID_PARAMS, `Invalid params: ${detail}`);
}

/** `-32602` with the validator's "Invalid param" wording (one bad positional value). */
export function invalidParam(detail: string): RpcError {
  return new RpcError(RPC_ERROR.INVALID_PARAMS, `Invalid param: ${detail}`);
}

/** Commitment levels, with the deprecated aliases a validator still accepts. */
export type Commitment = 'processed' | 'confirmed' | 'finalized';

const COMMITMENT_ALIASES: Record<string, Commitment> = {
  processed: 'processed',
  recent: 'processed',
  confirmed: 'confirmed',
  single: 'confirmed',
  singleGossip: 'confirmed',
  finalized: 'finalized',
  max: 'finalized',
  root: 'finalized',
};

/**
 * Positional params of one request, with typed readers that answer `-32602` the way a
 * validator does when a value is missing or of the wrong type. Request bodies are parsed
 * with kit's `parseJsonWithBigInts`, so every JSON integer arrives here as a bigint.
 */
export class Params {
  private readonly list: readonly unknown[];

  constructor(params: unknown) {
    if (params === undefined || params === null) this.list = [];
    else if (Array.isArray(params)) this.list = params;
    else throw invalidParams('expected an array of positional parameters');
  }

  get length(): number {
    return this.list.length;
  }

  raw(index: number): unknown {
    return this.list[index];
  }

  string(index: number, name: string): string {
    const value = this.list[index];
    if (typeof value !== 'string') throw invalidParams(`${name} must be a string`);
    return value;
  }

  address(index: number, name = 'pubkey'): Address {
    const value = this.string(index, name);
    if (!isAddress(value)) throw invalidParam('Invalid');
    return value;
  }

  signature(value: unknown): Signature {
    if (typeof value !== 'string' || !isSignature(value)) throw invalidParam('Invalid');
    return value;
  }

  u64(index: number, name: string): bigint {
    const value = this.list[index];
    const n = toBigInt(value);
    if (n === undefined || n < 0n || n > 0xffff_ffff_ffff_ffffn)
      throw invalidParams(`${name} must be a u64`);
    return n;
  }

  array(index: number, name: string): readonly unknown[] {
    const value = this.list[index];
    if (!Array.isArray(value)) throw invalidParams(`${name} must be an array`);
    return value;
  }

  /** The optional trailing config object; `{}` when absent or null. */
  config(index: number): Config {
    const value = this.list[index];
    if (value === undefined || value === null) return new Config({});
    if (typeof value !== 'object' || Array.isArray(value))
      throw invalidParams('config must be an object');
    return new Config(value as Record<string, unknown>);
  }
}

/** Typed reads of a request's config object. */
export class Config {
  constructor(readonly values: Record<string, unknown>) {}

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  string(key: string): string | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalidParams(`${key} must be a string`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw invalidParams(`${key} must be a boolean`);
    return value;
  }

  u64(key: string): bigint | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    const n = toBigInt(value);
    if (n === undefined || n < 0n) throw invalidParams(`${key} must be a u64`);
    return n;
  }

  object(key: string): Config | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw invalidParams(`${key} must be an object`);
    return new Config(value as Record<string, unknown>);
  }

  commitment(fallback: Commitment = 'finalized'): Commitment {
    const value = this.string('commitment');
    if (value === undefined) return fallback;
    const commitment = COMMITMENT_ALIASES[value];
    if (commitment === undefined) {
      throw invalidParams(
        `unknown variant \`${value}\`, expected one of \`processed\`, \`confirmed\`, \`finalized\``,
      );
    }
    return commitment;
  }

  encoding<E extends string>(allowed: readonly E[], fallback: E): E {
    const value = this.string('encoding');
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidParams(
        `unknown variant \`${value}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
      );
    }
    return value as E;
  }
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}
