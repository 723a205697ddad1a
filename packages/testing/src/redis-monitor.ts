import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Records the commands clients send to a Redis server, through MONITOR. */
export interface RedisCommandRecorder {
  /**
   * Runs `work` and returns the commands sent meanwhile that name a key under the recorder's
   * prefix (each as its arguments, command name first), in the order Redis ran them. Commands
   * a script runs itself are not included: a script counts as the one command that ran it.
   */
  during(work: () => Promise<unknown>): Promise<string[][]>;
  close(): Promise<void>;
}

/**
 * A MONITOR connection to `url` that keeps the commands naming a key under `prefix` (a test's
 * own prefix, so other tests sharing the server do not show up), e.g. to assert that a
 * request costs one Redis command. `ignore` drops commands with an argument ending in one of
 * its strings (background work such as a limiter's instance announcements).
 *
 * @example
 * ```ts
 * const recorder = await recordRedisCommands(redis.url, redis.prefix);
 * const commands = await recorder.during(() => fetch(url));
 * expect(commands.map(([name]) => name)).toEqual(['evalsha']);
 * ```
 */
export async function recordRedisCommands(
  url: string,
  prefix: string,
  ignore: readonly string[] = [],
): Promise<RedisCommandRecorder> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  // A connection of its own in monitor mode; `client` stays free to send the markers.
  const monitor = await client.monitor();
  let recording: string[][] | null = null;
  const markers = new Map<string, () => void>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const marked = args.length === 2 && markers.get(args[1] ?? '');
    if (marked) return marked();
    if (recording === null || source === 'lua') return;
    if (args.some((a) => a.startsWith(prefix) && !ignore.some((end) => a.endsWith(end))))
      recording.push(args);
  });
  /**
   * Resolves once Redis has reported a command sent now. Redis reports commands in the order
   * it runs them, so by then everything sent before has been reported too: lines of earlier
   * requests that are still on their way cannot land in the next recording.
   */
  const fence = async (): Promise<void> => {
    const marker = `${prefix}monitor-marker:${randomBytes(6).toString('hex')}`;
    const reached = new Promise<void>((resolve) => markers.set(marker, resolve));
    await client.exists(marker);
    await reached;
    markers.delete(marker);
  };
  return {
    async during(work) {
      await fence();
      const commands: string[][] = [];
      recording = commands;
      try {
        await work();
        await fence();
      } finally {
        recording = null;
      }
      return commands;
    },
    async close() {
      monitor.disconnect();
      await client.quit();
    },
  };
}
