import cluster from 'node:cluster';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { isApiClusterProcess, runPrimary } from './cluster.js';
import { createLogger } from './common/logger.js';
import { ConfigError, loadConfig } from './config/app-config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  if (config.server.processes > 1 && cluster.isPrimary) {
    runPrimary(config.server.processes, createLogger(config.log.level));
    return;
  }
  const app = await createApp(config);
  if (isApiClusterProcess()) stopOnceOnSignal(app);
  else app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.server.port, host: config.server.host });
}

/**
 * A cluster's process stops gracefully on the first SIGTERM/SIGINT and ignores repeats: it
 * can get the same stop twice (from the primary and from a process-group signal such as a
 * terminal's Ctrl-C or `pnpm start`'s stop), and Nest's own hooks, removed after the first,
 * would let the second kill it halfway through its shutdown. It then re-raises the signal, as
 * Nest's hooks do.
 */
function stopOnceOnSignal(app: NestFastifyApplication): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    void app
      .close()
      .catch((e: unknown) =>
        process.stderr.write(
          `waiaas-api shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`,
        ),
      )
      .finally(() => {
        process.removeAllListeners('SIGTERM');
        process.removeAllListeners('SIGINT');
        process.kill(process.pid, signal);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(
    `waiaas-api failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
