import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A redis-server of the test's own, for tests that must kill Redis mid-test (outages): never
// the shared server, which other runs use at the same time.

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

/**
 * Starts `redis-server` and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * await redis.kill(); // Redis is gone: test the outage
 * await redis.restart();
 * await redis.dispose();
 * ```
 */
export async function startRedis(
  options: { port?: number; dir?: string; args?: string[] } = {},
): Promise<DisposableRedis> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'waiaas-test-redis-')));
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
