/**
 * The API on several cores: with `API_PROCESSES` > 1 this process becomes the primary of a
 * `node:cluster` and forks that many API processes, which share the port (the primary accepts
 * connections and hands them out in turn).
 *
 * Why: one Node process runs its JavaScript on one core. Under load the API's event loop was
 * the limit (its thread at 100 % of a core while the machine had a fifth of its CPU idle), and
 * a cached read or a transfer is CPU work in that thread. The processes share everything that
 * must be shared through PostgreSQL and Redis, exactly as separate instances behind a load
 * balancer do (cache invalidations, access generations, rate limits, the delayed-transfer
 * release, which is safe to run in every instance), which is why more than one needs Redis
 * (`loadConfig`).
 *
 * The primary runs no application code. It restarts a process that dies after it started
 * serving (a crash loop ends the primary), ends everything when one fails to start, forwards
 * SIGTERM/SIGINT for a graceful stop of all, and answers `/metrics` for the whole cluster:
 * any process asked for them gets every process's metrics summed ({@link scrapeMetrics}).
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** Restarts of crashed processes allowed within {@link RESTART_WINDOW_MS}; one more ends the primary. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * How many crashed processes the primary replaces: at most `max` within any `windowMs`; one
 * more is a crash loop, which a supervisor handles better than a primary forking for ever.
 *
 * @example
 * ```ts
 * const budget = new RestartBudget();
 * if (!budget.take(Date.now())) stop('failed');
 * ```
 */
export class RestartBudget {
  private readonly times: number[] = [];

  constructor(
    readonly max = MAX_RESTARTS,
    readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Counts a restart at `now`, or returns false when `max` happened within the window before it. */
  take(now: number): boolean {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }
}
/** A scrape waits this long for the primary (which waits for every process). */
const METRICS_TIMEOUT_MS = 10_000;

/**
 * Set by the primary in the environment of the processes it forks: another cluster manager
 * (PM2's cluster mode forks with `node:cluster` too) has no primary that answers our messages.
 */
const FORKED_BY_PRIMARY = 'WAIAAS_API_CLUSTER_PROCESS';

/** Whether this process was forked by {@link runPrimary}. */
export function isApiClusterProcess(): boolean {
  return cluster.isWorker && process.env[FORKED_BY_PRIMARY] === '1';
}

const METRICS_REQUEST = 'waiaas:metrics-request';
const METRICS_RESPONSE = 'waiaas:metrics-response';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: string;
}

interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: string;
  text?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as T).type === type;
}

/**
 * Runs this process as the cluster's primary until the cluster stops: on SIGTERM/SIGINT (it
 * then re-raises the signal, as a single API process does after its shutdown hooks), or with
 * exit code 1 when a process fails to start or keeps crashing.
 *
 * @example
 * ```ts
 * if (config.server.processes > 1 && cluster.isPrimary)
 *   runPrimary(config.server.processes, createLogger(config.log.level));
 * ```
 */
export function runPrimary(processes: number, log: Logger): void {
  const aggregator = new AggregatorRegistry();
  const listening = new WeakSet<Worker>();
  const restarts = new RestartBudget();
  let stopping: NodeJS.Signals | 'failed' | null = null;

  // A worker that has exited can stay in `cluster.workers` until its IPC channel closes.
  const alive = (): Worker[] =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stop = (reason: NodeJS.Signals | 'failed'): void => {
    if (stopping !== null) return;
    stopping = reason;
    const signal = reason === 'failed' ? 'SIGTERM' : reason;
    log.info({ processes: alive().length, signal }, 'api_cluster_stopping');
    for (const worker of alive()) worker.process.kill(signal);
    if (alive().length === 0) finish();
  };

  const finish = (): void => {
    if (stopping === 'failed') process.exit(1);
    const signal = stopping ?? 'SIGTERM';
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };

  const fork = (): void => {
    const worker = cluster.fork({ [FORKED_BY_PRIMARY]: '1' });
    worker.on('message', (message: unknown) => {
      if (!isMessage<MetricsRequest>(message, METRICS_REQUEST)) return;
      const reply = (body: Omit<MetricsResponse, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id: message.id, ...body });
      };
      aggregator.clusterMetrics().then(
        (text) => reply({ text }),
        (e: unknown) => reply({ error: e instanceof Error ? e.message : String(e) }),
      );
    });
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    const serving = alive().filter((w) => listening.has(w)).length;
    log.info(
      { worker: worker.process.pid, port: address.port, serving, processes },
      'api_process_listening',
    );
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping !== null) {
      if (alive().length === 0) finish();
      return;
    }
    const fields = { worker: worker.process.pid, code, signal };
    if (!listening.has(worker)) {
      // It never served: a restart would most likely fail the same way (the port is taken, the
      // configuration is refused). Stop as a single API process would; the supervisor decides.
      log.error(fields, 'api_process_failed_to_start');
      stop('failed');
      return;
    }
    if (!restarts.take(Date.now())) {
      log.error({ ...fields, restarts: restarts.max }, 'api_process_crash_loop');
      stop('failed');
      return;
    }
    log.error(fields, 'api_process_exited_restarting');
    fork();
  });

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log.info({ processes }, 'api_cluster_starting');
  for (let i = 0; i < processes; i++) fork();
}

/** In a cluster's process: make `registry` the one the primary collects from this process. */
export function shareMetrics(registry: Registry): void {
  if (!isApiClusterProcess()) return;
  // Constructing one is what makes prom-client answer the primary's requests in a process
  // (its listener is added once, however many are made).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/**
 * The text a Prometheus scrape gets: this process's `registry` when it runs alone; in a
 * cluster, every process's metrics summed by the primary, so that a scrape answered by any
 * process counts the whole API.
 */
export function scrapeMetrics(registry: Registry): Promise<string> {
  if (!isApiClusterProcess() || process.send === undefined) return registry.metrics();
  const id = randomUUID();
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer for the metrics'));
    }, METRICS_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      if (!isMessage<MetricsResponse>(message, METRICS_RESPONSE) || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}
