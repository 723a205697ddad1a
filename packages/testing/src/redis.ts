import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ENV_REDIS_URL, requireEnv } from './state.js';

export interface TestRedis {
  url: string;
  /** Unique to this test; every key the test writes must start with it. */
  prefix: string;
  /** Deletes this prefix's keys (SCAN + UNLINK), never anything else. Never FLUSHALL. */
  cleanup: () => Promise<void>;
}

export function testRedisUrl(): string {
  return requireEnv(ENV_REDIS_URL);
}

/** A unique key prefix on the run's Redis, and a cleanup that only touches it. */
export function createTestRedis(): TestRedis {
  const url = testRedisUrl();
  const prefix = `waiaas-test:${randomBytes(6).toString('hex')}:`;
  return {
    url,
    prefix,
    cleanup: async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await client.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}
