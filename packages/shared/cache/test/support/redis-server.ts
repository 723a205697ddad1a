import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A disposable redis-server of our own (never the shared one), in its own temp dir. */
export interface DisposableRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGKILL, as a crash would; resolves when the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  dispose(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';

/** Starts `redis-server` and resolves once it accepts connections. */
export async function startRedis(
  options: { port?: number; dir?: string; args?: string[] } = {},
): Promise<DisposableRedis> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'waiaas-cache-redis-')));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          proc.stdout?.off('data', onData);
          proc.stdout?.resume();
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.resume();
      proc.once('exit', (code) =>
        reject(new Error(`redis-server exited (${String(code)}): ${output}`)),
      );
    });
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    restart: start,
    dispose: async () => {
      await kill();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

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
