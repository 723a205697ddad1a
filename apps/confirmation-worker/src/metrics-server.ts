import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './metrics.js';

/**
 * A small HTTP server: `GET /metrics` (Prometheus text) and `GET /health` (200 while the
 * worker runs, 503 once it is shutting down).
 *
 * @example
 * ```ts
 * const server = await startMetricsServer(worker.metrics, () => worker.healthy, { port: 9464, host: '0.0.0.0' });
 * await server.close();
 * ```
 */
export async function startMetricsServer(
  metrics: WorkerMetrics,
  healthy: () => boolean,
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
      const ok = healthy();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'stopping' }));
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
