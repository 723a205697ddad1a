import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, MAX_AUTO_PROCESSES } from './app-config.js';

const BASE = {
  DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db',
  SOLANA_RPC_URL: 'http://127.0.0.1:8899',
  ADMIN_TOKEN: 'a'.repeat(32),
  WALLET_MASTER_KEY: 'f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff',
  NODE_ENV: 'production',
};

function failure(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.variable;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({
      ...BASE,
      WALLET_MASTER_KEY: 'f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff',
    });
    expect(c.server).toEqual({
      port: 3000,
      host: '0.0.0.0',
      trustProxy: false,
      bodyLimit: 65536,
      processes: 1,
    });
    expect(c.database).toEqual({
      url: BASE.DATABASE_URL,
      poolSize: 10,
      preparedStatements: true,
      statementTimeoutMs: 5000,
      connectionTimeoutMs: 5000,
      slowQueryMs: 200,
    });
    expect(c.redis).toEqual({ url: null, keyPrefix: 'waiaas:' });
    expect(c.rateLimit.perMinute).toBe(1200);
    expect(c.custody.kind).toBe('LOCAL');
    expect(c.webhooks.allowPrivateTargets).toBe(false);
    expect(c.solana).toMatchObject({ rpcTimeoutMs: 5000, rpcRetries: 2 });
    expect(c.console.sessionTtlMinutes).toBe(480);
    expect(c.console.distDir).toMatch(/[/\\]apps[/\\]console[/\\]dist$/);
  });

  it('serves from one process unless told otherwise; auto is one per core, capped', () => {
    const redis = { ...BASE, REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig(redis).server.processes).toBe(1);
    expect(loadConfig({ ...redis, API_PROCESSES: 'auto' }).server.processes).toBe(
      Math.min(availableParallelism(), MAX_AUTO_PROCESSES),
    );
    expect(loadConfig({ ...redis, API_PROCESSES: '3' }).server.processes).toBe(3);
    expect(loadConfig({ ...BASE, API_PROCESSES: '1' }).server.processes).toBe(1);
  });

  it.each(['0', '65', '-1', '1.5', 'two'])('refuses API_PROCESSES=%j', (value) => {
    expect(failure({ ...BASE, REDIS_URL: 'redis://127.0.0.1:6379', API_PROCESSES: value })).toBe(
      'API_PROCESSES',
    );
  });

  it('refuses several processes without Redis: their caches and rate limits would diverge', () => {
    expect(failure({ ...BASE, API_PROCESSES: '2' })).toBe('API_PROCESSES');
    if (availableParallelism() > 1)
      expect(failure({ ...BASE, API_PROCESSES: 'auto' })).toBe('API_PROCESSES');
  });

  it.each([
    ['http://127.0.0.1:8899', 'localnet'],
    ['https://api.devnet.solana.com', 'devnet'],
    ['https://api.testnet.solana.com', 'testnet'],
    ['https://api.mainnet-beta.solana.com', 'mainnet-beta'],
    ['https://rpc.example.com/?api-key=secret', 'unknown'],
  ])('reads the cluster of %s as %s for explorer links', (rpc, cluster) => {
    const c = loadConfig({ ...BASE, SOLANA_RPC_URL: rpc });
    expect(c.solana.cluster).toBe(cluster);
    if (cluster === 'unknown') expect(c.solana.explorerTxUrl).toBeNull();
    else
      expect(c.solana.explorerTxUrl).toMatch(/^https:\/\/explorer\.solana\.com\/tx\/\{signature\}/);
    // A provider URL (which may carry an API key) never goes into a link.
    if (cluster !== 'localnet') expect(c.solana.explorerTxUrl ?? '').not.toContain('customUrl');
  });

  it('takes SOLANA_CLUSTER and SOLANA_EXPLORER_TX_URL as given', () => {
    const c = loadConfig({
      ...BASE,
      SOLANA_RPC_URL: 'https://rpc.example.com',
      SOLANA_CLUSTER: 'devnet',
      SOLANA_EXPLORER_TX_URL: 'https://solscan.io/tx/{signature}?cluster=devnet',
    });
    expect(c.solana).toMatchObject({
      cluster: 'devnet',
      explorerTxUrl: 'https://solscan.io/tx/{signature}?cluster=devnet',
    });
    expect(loadConfig({ ...BASE, SOLANA_CLUSTER: 'testnet' }).solana.explorerTxUrl).toBe(
      'https://explorer.solana.com/tx/{signature}?cluster=testnet',
    );
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: undefined }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['SOLANA_RPC_URL', { SOLANA_RPC_URL: undefined }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }],
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['RATE_LIMIT_PER_MINUTE', { RATE_LIMIT_PER_MINUTE: '0' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }],
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' }],
    ['SOLANA_RPC_TIMEOUT_MS', { SOLANA_RPC_TIMEOUT_MS: '5' }],
    ['WALLET_MASTER_KEY', { WALLET_MASTER_KEY: undefined }],
    ['WALLET_MASTER_KEY', { WALLET_MASTER_KEY: 'not-a-key' }],
    ['TURNKEY_API_PUBLIC_KEY', { TURNKEY_ORGANIZATION_ID: 'org' }],
    ['SOLANA_CLUSTER', { SOLANA_CLUSTER: 'moon' }],
    ['SOLANA_EXPLORER_TX_URL', { SOLANA_EXPLORER_TX_URL: 'https://explorer.example/tx/' }],
    ['SOLANA_EXPLORER_TX_URL', { SOLANA_EXPLORER_TX_URL: 'javascript:{signature}' }],
    ['CONSOLE_SESSION_TTL_MINUTES', { CONSOLE_SESSION_TTL_MINUTES: '1' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '1' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '201' }],
    ['KEYSTORE_MASTER_KEY', { WALLET_MASTER_KEY: undefined, KEYSTORE_MASTER_KEY: 'not-a-key' }],
    ['WALLET_MASTER_KEY_VERSION', { WALLET_MASTER_KEY_VERSION: '0' }],
    ['WALLET_MASTER_KEY_VERSION', { WALLET_MASTER_KEY_VERSION: '1.5' }],
    ['WALLET_PREVIOUS_MASTER_KEYS', { WALLET_PREVIOUS_MASTER_KEYS: 'no-version-here' }],
    [
      'WALLET_PREVIOUS_MASTER_KEYS',
      { WALLET_MASTER_KEY_VERSION: '2', WALLET_PREVIOUS_MASTER_KEYS: `2:${'ab'.repeat(32)}` },
    ],
    [
      'WALLET_PREVIOUS_MASTER_KEYS',
      { WALLET_MASTER_KEY_VERSION: '2', WALLET_PREVIOUS_MASTER_KEYS: '1:not-a-key' },
    ],
    [
      'TURNKEY_API_BASE_URL',
      {
        TURNKEY_API_BASE_URL: 'ftp://turnkey',
        TURNKEY_ORGANIZATION_ID: 'org',
        TURNKEY_API_PUBLIC_KEY: `02${'a'.repeat(64)}`,
        TURNKEY_API_PRIVATE_KEY: 'b'.repeat(64),
      },
    ],
  ])('a bad or missing value stops start-up naming %s', (variable, over) => {
    expect(failure({ ...BASE, ...over })).toBe(variable);
  });

  it('still takes the master key under its old name, with a deprecation warning', () => {
    const warnings: string[] = [];
    const c = loadConfig(
      { ...BASE, WALLET_MASTER_KEY: undefined, KEYSTORE_MASTER_KEY: BASE.WALLET_MASTER_KEY },
      { warn: (m) => warnings.push(m) },
    );
    expect(c.custody.kind).toBe('LOCAL');
    expect(warnings).toEqual([expect.stringContaining('KEYSTORE_MASTER_KEY is deprecated')]);
  });

  it('maps the rotation variables to the keystore: the current version and the older keys', () => {
    const [one, two] = [randomBytes(32).toString('hex'), randomBytes(32).toString('base64')];
    const c = loadConfig({
      ...BASE,
      WALLET_MASTER_KEY_VERSION: '3',
      WALLET_PREVIOUS_MASTER_KEYS: `1:${one}, 2:${two}`,
    });
    if (c.custody.kind !== 'LOCAL') throw new Error('expected the local keystore');
    expect(c.custody.masterKeys.currentVersion).toBe(3);
    expect([...c.custody.masterKeys.keys.keys()].sort()).toEqual([1, 2, 3]);
    expect(Buffer.from(c.custody.masterKeys.keys.get(1)!).toString('hex')).toBe(one);
  });

  it('selects Turnkey custody when its variables are set', () => {
    const c = loadConfig({
      ...BASE,
      TURNKEY_ORGANIZATION_ID: 'org-1',
      TURNKEY_API_PUBLIC_KEY: `02${'a'.repeat(64)}`,
      TURNKEY_API_PRIVATE_KEY: 'b'.repeat(64),
    });
    expect(c.custody.kind).toBe('TURNKEY');
  });
});
