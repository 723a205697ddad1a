import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { CodedError, isCodedError } from './coded-error.js';
import { COMMON_ENV, ConfigError, envInt, parseEnv } from './config.js';

const REQUIRED = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
  SOLANA_RPC_URL: 'http://127.0.0.1:8899',
};
const schema = z.object({ ...COMMON_ENV, BATCH: envInt(1, 10).default(5) });

function failure(env: Record<string, string | undefined>, renamed = {}): ConfigError {
  try {
    parseEnv(schema, env, { renamed, warn: () => {} });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('parseEnv', () => {
  it('applies the shared defaults and bounds', () => {
    const env = parseEnv(schema, REQUIRED);
    expect(env).toMatchObject({
      DATABASE_POOL_SIZE: 10,
      REDIS_KEY_PREFIX: 'waiaas:',
      SOLANA_RPC_TIMEOUT_MS: 5_000,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: false,
      LOG_LEVEL: 'info',
      BATCH: 5,
    });
    expect(env.REDIS_URL).toBeUndefined();
  });

  it('names the variable and the reason, treating blank values as unset', () => {
    expect(failure({ ...REQUIRED, SOLANA_RPC_URL: '  ' }).message).toBe(
      'SOLANA_RPC_URL: is required',
    );
    expect(failure({ ...REQUIRED, DATABASE_POOL_SIZE: '1' }).message).toBe(
      'DATABASE_POOL_SIZE: must be between 2 and 200',
    );
    expect(failure({ ...REQUIRED, BATCH: '1.5' }).message).toBe('BATCH: must be an integer');
    expect(failure({ ...REQUIRED, REDIS_URL: 'http://x' }).message).toBe(
      'REDIS_URL: must use redis: or rediss:, got http:',
    );
    expect(failure({ ...REQUIRED, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' }).variable).toBe(
      'WEBHOOK_ALLOW_PRIVATE_TARGETS',
    );
  });

  it('keeps a renamed variable working, with a warning, and blames it by its old name', () => {
    const warnings: string[] = [];
    const env = parseEnv(
      schema,
      { ...REQUIRED, CACHE_PREFIX: 'old:' },
      { renamed: { CACHE_PREFIX: 'REDIS_KEY_PREFIX' }, warn: (m) => warnings.push(m) },
    );
    expect(env.REDIS_KEY_PREFIX).toBe('old:');
    expect(warnings).toEqual([expect.stringContaining('CACHE_PREFIX is deprecated')]);
    expect(
      failure({ ...REQUIRED, RPC_RETRIES: '99' }, { RPC_RETRIES: 'SOLANA_RPC_RETRIES' }).variable,
    ).toBe('RPC_RETRIES');
  });

  it('lets the current name win over the old one', () => {
    const warnings: string[] = [];
    const env = parseEnv(
      schema,
      { ...REQUIRED, CACHE_PREFIX: 'old:', REDIS_KEY_PREFIX: 'new:' },
      { renamed: { CACHE_PREFIX: 'REDIS_KEY_PREFIX' }, warn: (m) => warnings.push(m) },
    );
    expect(env.REDIS_KEY_PREFIX).toBe('new:');
    expect(warnings).toEqual([expect.stringContaining('ignored')]);
  });
});

describe('CodedError', () => {
  it('is the base of ConfigError, with a typed context', () => {
    const e = new ConfigError('PORT', 'is required');
    expect(e).toBeInstanceOf(CodedError);
    expect(isCodedError(e, 'CONFIG_INVALID')).toBe(true);
    expect(isCodedError(new Error('x'))).toBe(false);
    expect(e.context).toEqual({ variable: 'PORT', reason: 'is required' });
    expect(e.name).toBe('ConfigError');
  });
});
