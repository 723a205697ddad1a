/**
 * Process entry: parse configuration, start the worker and its metrics server, and shut down
 * gracefully on SIGTERM/SIGINT (exit 0). A bad configuration or an unreachable PostgreSQL
 * exits 1 with the reason.
 */
import { hostname } from 'node:os';
import { loadConfig } from './config.js';
import { isWorkerError } from './errors.js';
import { createLogger } from './logger.js';
import { startMetricsServer } from './metrics-server.js';
import { ConfirmationWorker } from './worker.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, `${hostname()}-${process.pid}`);
  } catch (error) {
    if (isWorkerError(error, 'WORKER_CONFIG_INVALID')) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, workerId: config.workerId });
  let worker: ConfirmationWorker;
  try {
    worker = await ConfirmationWorker.create({ config, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'worker_start_failed');
    process.exit(1);
  }
  const server = await startMetricsServer(worker.metrics, () => worker.health(), config.metrics);
  logger.info({ metricsPort: server.port }, 'metrics_listening');
  // The signal handlers are in place before the worker starts: `worker_started` is written
  // (synchronously) from inside start(), and a supervisor that stops the worker as soon as it
  // reads that line must get the graceful stop, not the default action of SIGTERM. A signal
  // during start-up stops the worker once it has started.
  const starting = worker.start();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutdown_requested');
    void starting
      .catch(() => undefined)
      .then(() => worker.stop())
      .then(() => server.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown_failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await starting;
}

await main();
