import { Injectable } from '@nestjs/common';
import type { CacheEvent } from '@waiaas/cache';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one app instance. Each app gets its own registry (tests build
 * several apps in one process; a global registry would refuse duplicate metric names).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'waiaas_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly cacheEvents = new Counter({
    name: 'waiaas_cache_events_total',
    help: 'Cache reads by keyspace and result (hit, miss), plus fetches and coalesced waits',
    labelNames: ['keyspace', 'result'] as const,
    registers: [this.registry],
  });

  readonly policyDecisions = new Counter({
    name: 'waiaas_policy_decisions_total',
    help: 'Policy decisions by outcome and where they were made (transfer, evaluate, approve, release of a delayed transfer)',
    labelNames: ['outcome', 'source'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'waiaas_' });
  }

  /** Hook for @waiaas/cache's `onEvent`. */
  onCacheEvent = (event: CacheEvent): void => {
    switch (event.type) {
      case 'hit':
        this.cacheEvents.inc({ keyspace: event.keyspace, result: 'hit' });
        break;
      case 'miss':
        this.cacheEvents.inc({ keyspace: event.keyspace, result: 'miss' });
        break;
      case 'fetch':
      case 'coalesced':
        this.cacheEvents.inc({ keyspace: event.keyspace, result: event.type });
        break;
      case 'error':
        this.cacheEvents.inc({ keyspace: 'store', result: 'error' });
        break;
      default:
        break;
    }
  };

  policyDecision(outcome: string, source: 'transfer' | 'evaluate' | 'approve' | 'release'): void {
    this.policyDecisions.inc({ outcome, source });
  }
}
