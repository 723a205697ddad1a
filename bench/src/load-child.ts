/**
 * The load generator process: receives one {@link LoadSpec} over IPC, runs autocannon with
 * it, answers with a {@link LoadResult} and exits. Nothing else runs in this process.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';

function run(spec: LoadSpec): Promise<LoadResult> {
  const { request } = spec;
  const runId = randomBytes(6).toString('hex');
  const created: [number, string][] = [];
  const sampleErrors: string[] = [];
  let sent = 0;
  const baseHeaders = { ...request.headers };
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec,
        ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
        ...(spec.amount === undefined ? {} : { amount: spec.amount }),
        requests: [
          {
            method: request.method,
            ...(request.body === undefined ? {} : { body: request.body }),
            headers: baseHeaders,
            setupRequest: (req) => {
              const i = sent++;
              const headers = request.uniqueIdempotencyKeys
                ? { ...baseHeaders, 'idempotency-key': `bench-${runId}-${i}` }
                : baseHeaders;
              return { ...req, path: request.paths[i % request.paths.length], headers };
            },
            onResponse: (status, body) => {
              if (status === 201 && request.recordCreated === true) {
                // The wall clock, as PostgreSQL stamps `submitted_at` with: a monotonic
                // stamp (timeOrigin + now()) drifts from it when the host steps the clock, and
                // a virtual machine paused for a snapshot once added 9 s to every latency.
                const at = Date.now();
                const id = (JSON.parse(body) as { transaction?: { id?: string } }).transaction?.id;
                if (id !== undefined) created.push([at, id]);
              } else if ((status < 200 || status > 299) && sampleErrors.length < 3) {
                sampleErrors.push(`${status}: ${body.slice(0, 300)}`);
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {}))
          statusCodes[code] = (stats as { count: number }).count;
        const total = Object.values(statusCodes).reduce((a, b) => a + b, 0);
        resolve({
          rps: total / (result.duration || spec.durationSec),
          p50: result.latency.p50,
          p99: result.latency.p99,
          total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          statusCodes,
          created,
          sampleErrors,
        });
      },
    );
  });
}

process.once('message', (spec: LoadSpec) => {
  run(spec).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { ok: false, error: error instanceof Error ? error.message : String(error) },
        () => process.exit(1),
      ),
  );
});
