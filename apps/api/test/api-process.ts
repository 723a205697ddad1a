// `src/main.ts` as a real API process, the way an operator starts it, for the tests that watch
// a process from outside (its stdout, its cluster): the file's own database, Redis prefix and
// ledger, and every process it started killed at the end.
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import { type LocalLedger, startLocalLedger } from '@waiaas/local-ledger';
import {
  createTestDatabase,
  createTestRedis,
  spawnSourceEntry,
  type TestDatabase,
  type TestRedis,
} from '@waiaas/testing';

/**
 * Starts API processes on 127.0.0.1:`port`, fresh secrets, logging at level info, plus `env`;
 * `entry` runs another script (with the same loader) in place of `src/main.ts`.
 */
export type SpawnApi = (
  port: number,
  env: Record<string, string>,
  stdio: StdioOptions,
  entry?: string,
) => ChildProcess;

/**
 * Sets up the file's services (before all its tests) and returns how to start API processes
 * on them; they are killed, and the services removed, after all its tests.
 *
 * @example
 * ```ts
 * const spawnApi = apiProcesses();
 * const child = spawnApi(port, { API_PROCESSES: '2' }, ['ignore', 'pipe', 'pipe']);
 * ```
 */
export function apiProcesses(): SpawnApi {
  let db: TestDatabase;
  let redis: TestRedis;
  let ledger: LocalLedger;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = createTestRedis();
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await ledger.close();
    await redis.cleanup();
    await db.drop();
  });

  return (port, env, stdio, entry) => {
    const child = spawnSourceEntry(
      new URL('../', import.meta.url),
      {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        SOLANA_RPC_URL: ledger.url,
        ADMIN_TOKEN: `admin-${randomBytes(24).toString('hex')}`,
        WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio,
      entry,
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
}
