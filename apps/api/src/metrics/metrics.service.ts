import { Injectable } from '@nestjs/common';
import type { CacheEvent } from '@waiaas/cache';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { shareMetrics } from '../cluster.js';

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

  /**
   * Cache events are counted in a plain map and handed to the counter when it is scraped:
   * they fire several times per request, and prom-client's `inc(labels)` hashes the label
   * object on every call.
   */
  private readonly cacheCounts = new Map<string, Map<string, { n: number }>>();

  readonly cacheEvents = new Counter({
    name: 'waiaas_cache_events_total',
    help: 'Cache reads by keyspace and result (hit, miss), plus fetches, coalesced waits and background refreshes',
    labelNames: ['keyspace', 'result'] as const,
    registers: [this.registry],
    collect: () => {
      this.cacheEvents.reset();
      for (const [keyspace, results] of this.cacheCounts)
        for (const [result, { n }] of results) this.cacheEvents.inc({ keyspace, result }, n);
    },
  });

  readonly policyDecisions = new Counter({
    name: 'waiaas_policy_decisions_total',
    help: 'Policy decisions by outcome and where they were made (transfer, evaluate, approve, release of a delayed transfer)',
    labelNames: ['outcome', 'source'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'waiaas_' });
    // In a cluster of API processes (API_PROCESSES), the primary sums this registry with the others'.
    shareMetrics(this.registry);
  }

  /** Hook for @waiaas/cache's `onEvent`. */
  onCacheEvent = (event: CacheEvent): void => {
    switch (event.type) {
      case 'hit':
      case 'miss':
      case 'fetch':
      case 'coalesced':
      case 'refresh':
        this.countCacheEvent(event.keyspace, event.type);
        break;
      case 'error':
        this.countCacheEvent('store', 'error');
        break;
      default:
        break;
    }
  };

  /** Keyed by keyspace, then result: no key string is built per event. */
  private countCacheEvent(keyspace: string, result: string): void {
    let results = this.cacheCounts.get(keyspace);
    if (results === undefined) {
      results = new Map();
      this.cacheCounts.set(keyspace, results);
    }
    const entry = results.get(result);
    if (entry === undefined) results.set(result, { n: 1 });
    else entry.n += 1;
  }

  policyDecision(outcome: string, source: 'transfer' | 'evaluate' | 'approve' | 'release'): void {
    this.policyDecisions.inc({ outcome, source });
  }
}
