import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './metrics.js';
import type { WorkerHealth } from './worker.js';

/**
 * A small HTTP server: `GET /metrics` (Prometheus text) and `GET /health` (200 while the
 * worker runs and PostgreSQL and the RPC answer; 503 with the failing check, or once it is
 * shutting down).
 *
 * @example
 * ```ts
 * const server = await startMetricsServer(worker.metrics, () => worker.health(), { port: 9464, host: '0.0.0.0' });
 * await server.close();
 * ```
 */
export async function startMetricsServer(
  metrics: WorkerMetrics,
  health: () => Promise<WorkerHealth>,
  options: { port: number; host: string },
): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) =>
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        )
        .catch(() => res.writeHead(500).end());
      return;
    }
    if (req.method === 'GET' && req.url === '/health') {
      health()
        .then((report) =>
          res
            .writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify(report)),
        )
        .catch(() => res.writeHead(503).end());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
