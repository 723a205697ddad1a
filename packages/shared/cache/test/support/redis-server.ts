import { type DisposableRedis, startRedis } from '@waiaas/testing';

export { freePort, startRedis, type DisposableRedis } from '@waiaas/testing';

/** Polls `check` until it is true; throws after `timeoutMs` (a guard, not a timing assertion). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A promise and the functions that settle it. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A tiny Redis Cluster of our own: 3 masters, no replicas, on free ports, in temp dirs. */
export interface DisposableCluster {
  nodes: { host: string; port: number }[];
  dispose(): Promise<void>;
}

export async function startCluster(size = 3): Promise<DisposableCluster> {
  const servers: DisposableRedis[] = [];
  try {
    for (let i = 0; i < size; i++) {
      servers.push(
        await startRedis({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
          ],
        }),
      );
    }
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)(
      '/usr/bin/redis-cli',
      [
        '--cluster',
        'create',
        ...servers.map((s) => `127.0.0.1:${s.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    // Wait until every node agrees the cluster is up.
    const { Redis } = await import('ioredis');
    for (const server of servers) {
      const client = new Redis(server.url);
      try {
        await eventually(
          async () => (await client.cluster('INFO')).includes('cluster_state:ok'),
          30_000,
        );
      } finally {
        client.disconnect();
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.dispose()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    dispose: async () => {
      await Promise.all(servers.map((s) => s.dispose()));
    },
  };
}
