import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './config.js';
import { isWorkerError } from './errors.js';

const required = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/db',
  SOLANA_RPC_URL: 'http://127.0.0.1:8899',
};

function failure(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (e) {
    return isWorkerError(e, 'WORKER_CONFIG_INVALID') ? e.context.variable : 'OTHER';
  }
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(required, 'w');
    expect(config).toMatchObject({
      workerId: 'w',
      commitment: 'confirmed',
      pollIntervalMs: 1_000,
      confirmIntervalMs: 400,
      batchSize: 100,
      confirmBatchSize: 256,
      submitConcurrency: 2,
      rpc: { batchMax: 100 },
      rebroadcastIntervalMs: 2_000,
      webhook: { maxAttempts: 8 },
      redis: { url: undefined, prefix: 'waiaas:' },
    });
  });

  it('parses typed values', () => {
    const config = loadConfig({
      ...required,
      COMMITMENT: 'finalized',
      BATCH_SIZE: '256',
      CONFIRM_BATCH_SIZE: '10',
      REDIS_URL: 'redis://x:6379',
    });
    expect(config.commitment).toBe('finalized');
    expect(config.batchSize).toBe(256);
    expect(config.confirmBatchSize).toBe(10);
    expect(config.redis.url).toBe('redis://x:6379');
  });

  it('checks statuses every slot, or as often as it polls when that is more often', () => {
    expect(loadConfig({ ...required, POLL_INTERVAL_MS: '100' }).confirmIntervalMs).toBe(100);
    expect(loadConfig({ ...required, CONFIRM_INTERVAL_MS: '2000' }).confirmIntervalMs).toBe(2_000);
    expect(loadConfig({ ...required, RPC_BATCH_MAX: '1' }).rpc.batchMax).toBe(1);
  });

  it('stops on a bad value, naming the variable', () => {
    expect(failure({ SOLANA_RPC_URL: required.SOLANA_RPC_URL })).toBe('DATABASE_URL');
    expect(failure({ ...required, BATCH_SIZE: '257' })).toBe('BATCH_SIZE');
    expect(failure({ ...required, CONFIRM_BATCH_SIZE: '0' })).toBe('CONFIRM_BATCH_SIZE');
    expect(failure({ ...required, POLL_INTERVAL_MS: 'soon' })).toBe('POLL_INTERVAL_MS');
    expect(failure({ ...required, COMMITMENT: 'processed' })).toBe('COMMITMENT');
    expect(failure({ ...required, SOLANA_RPC_URL: 'ftp://x' })).toBe('SOLANA_RPC_URL');
    expect(failure({ ...required, DATABASE_URL: 'mysql://x' })).toBe('DATABASE_URL');
  });

  it('shares names and bounds with the API', () => {
    expect(failure({ ...required, DATABASE_POOL_SIZE: '1' })).toBe('DATABASE_POOL_SIZE');
    expect(failure({ ...required, DATABASE_POOL_SIZE: '201' })).toBe('DATABASE_POOL_SIZE');
    const config = loadConfig({
      ...required,
      REDIS_KEY_PREFIX: 'p:',
      SOLANA_RPC_TIMEOUT_MS: '1500',
      SOLANA_RPC_RETRIES: '0',
    });
    expect(config.redis.prefix).toBe('p:');
    expect(config.rpc).toMatchObject({ timeoutMs: 1_500, retries: 0 });
  });

  it('still takes the old names for one release, with a deprecation warning', () => {
    const warnings: string[] = [];
    const config = loadConfig(
      { ...required, CACHE_PREFIX: 'old:', RPC_TIMEOUT_MS: '1500', RPC_RETRIES: '1' },
      'w',
      { warn: (m) => warnings.push(m) },
    );
    expect(config.redis.prefix).toBe('old:');
    expect(config.rpc).toMatchObject({ timeoutMs: 1_500, retries: 1 });
    expect(warnings).toHaveLength(3);
    expect(failure({ ...required, RPC_TIMEOUT_MS: '1' })).toBe('RPC_TIMEOUT_MS');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...required, REDIS_URL: '' }).redis.url).toBeUndefined();
  });
});
