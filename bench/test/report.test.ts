import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  componentOf,
  formatProfile,
  formatTable,
  moduleOf,
  percentile,
  replaceGenerated,
  RESULTS_END,
  RESULTS_START,
  summariseProfile,
} from '../src/report.js';

describe('the results table', () => {
  it('prints req/s, latencies, the ratio to its ceiling and non-2xx, with dashes where a figure does not apply', () => {
    const table = formatTable([
      {
        measure: 'ceiling: bare Fastify GET',
        rps: 16890.4,
        p50: 3,
        p99: 12,
        non2xx: 0,
        cpu: { server: 0.0412, postgres: undefined },
      },
      {
        measure: 'GET balance',
        rps: 1289,
        p50: 44,
        p99: 136,
        ratio: { of: 'Fastify', value: 0.0763 },
        target: '≥ 40 %',
        non2xx: 2,
        cpu: { server: 0.174, postgres: 0.006 },
      },
      { measure: 'POST → SUBMITTED', p50: 7.25, p99: 41 },
      { measure: 'POST transfers', rps: 0, p50: 0, p99: 0, non2xx: 0, errors: 124 },
    ]);
    expect(table.split('\n')).toEqual([
      '| measure | req/s | p50 ms | p99 ms | ratio | target | non-2xx | CPU ms/req: server + PostgreSQL |',
      '|---|---:|---:|---:|---|---|---:|---:|',
      '| ceiling: bare Fastify GET | 16,890 | 3.0 | 12 | — | — | 0 | 0.04 |',
      '| GET balance | 1,289 | 44 | 136 | 8 % of Fastify | ≥ 40 % | 2 | 0.17 + 0.01 |',
      '| POST → SUBMITTED | — | 7.3 | 41 | — | — | — | — |',
      '| POST transfers | 0 | 0.0 | 0.0 | — | — | 0 (+124 unanswered) | — |',
    ]);
  });

  it('takes nearest-rank percentiles of unsorted samples', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([30, 10, 20], 50)).toBe(20);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 1)).toBe(1);
  });
});

describe('RESULTS.md', () => {
  it('replaces only the generated block and keeps the analysis around it', () => {
    const first = replaceGenerated('# Results\n\nanalysis\n', 'run 1');
    expect(first).toContain(`${RESULTS_START}\n\nrun 1\n\n${RESULTS_END}`);
    expect(first).toContain('analysis');
    const second = replaceGenerated(first, 'run 2');
    expect(second).not.toContain('run 1');
    expect(second).toContain('run 2');
    expect(second.indexOf('analysis')).toBeGreaterThan(second.indexOf(RESULTS_END));
  });
});

describe('CPU profile summary', () => {
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, url, lineNumber: 0 },
    children,
  });
  /** A `.cpuprofile` of `nodes`, one millisecond per sample. */
  const profileFile = (nodes: ReturnType<typeof frame>[], samples: number[]): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-profile-')), 'p.cpuprofile');
    const timeDeltas = samples.map(() => 1000);
    writeFileSync(
      file,
      JSON.stringify({ nodes, samples, timeDeltas, startTime: 0, endTime: 1000 * samples.length }),
    );
    return file;
  };

  it('names the package or workspace folder of each frame', () => {
    expect(
      moduleOf('file:///r/node_modules/.pnpm/fastify@5/node_modules/fastify/lib/route.js', 'f'),
    ).toBe('fastify');
    expect(
      moduleOf('file:///r/node_modules/.pnpm/x/node_modules/@prisma/client/runtime/c.js', 'f'),
    ).toBe('@prisma/client');
    expect(moduleOf('file:///r/apps/api/dist/auth/auth.guard.js', 'f')).toBe('apps/api');
    expect(moduleOf('file:///r/packages/shared/cache/dist/x.js', 'f')).toBe(
      'packages/shared/cache',
    );
    expect(moduleOf('node:internal/streams/readable', 'f')).toBe('node:internal');
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
  });

  it('sums self time per function and module, and reports idle apart', () => {
    const file = profileFile(
      [
        frame(1, '(root)', '', [2, 3, 4]),
        frame(2, '(idle)', ''),
        frame(3, 'parse', 'file:///r/node_modules/pg/lib/parser.js'),
        frame(4, 'handle', 'file:///r/apps/api/dist/x.js'),
      ],
      [2, 3, 3, 4, 2, 3],
    );
    const summary = summariseProfile(file);
    expect(summary.seconds).toBeCloseTo(0.006);
    expect(summary.idle).toBeCloseTo(2 / 6);
    expect(summary.modules).toEqual([
      { name: 'pg', share: 3 / 6 },
      { name: 'apps/api', share: 1 / 6 },
    ]);
    expect(summary.functions[0]?.name).toBe('parse (pg:lib/parser.js:1)');
  });

  const PG_CLIENT = 'file:///r/node_modules/.pnpm/pg@8/node_modules/pg/lib/client.js';
  const NEST = 'file:///r/node_modules/.pnpm/@nestjs+core@12/node_modules/@nestjs/core/router/x.js';
  const DATABASE = 'file:///r/packages/database/dist/sql.js';
  const API = 'file:///r/apps/api/dist/transfers/transfer.service.js';

  it('charges a busy sample to the first component on its stack: socket writes, GC, clients, validation, our packages, our apps, then the frameworks', () => {
    const at = (functionName: string, url = '') => ({ functionName, url });
    // Stacks leaf first, as a profile's parent links give them.
    expect(componentOf([at('writev'), at('query', PG_CLIENT), at('evaluate', DATABASE)])).toBe(
      'socket writes',
    );
    expect(componentOf([at('parseRow', PG_CLIENT), at('evaluate', DATABASE)])).toBe('pg');
    expect(componentOf([at('evaluate', DATABASE), at('create', API), at('handle', NEST)])).toBe(
      'packages/database',
    );
    expect(componentOf([at('create', API), at('handle', NEST)])).toBe('apps/api');
    expect(
      componentOf([
        at('validate', 'file:///r/node_modules/class-validator/cjs/index.js'),
        at('transform', 'file:///r/node_modules/@nestjs/common/pipes/validation.pipe.js'),
      ]),
    ).toBe('class-validator');
    expect(componentOf([at('handle', NEST), at('emit', 'node:events')])).toBe('NestJS');
    expect(componentOf([at('emit', 'node:events')])).toBe('node');
    expect(componentOf([at('(garbage collector)')])).toBe('garbage collector');
    expect(componentOf([at('(program)')])).toBe('other');
    expect(
      componentOf([at('post', 'node:inspector'), at('toggle', 'file:///r/bench/dist/profiler.js')]),
    ).toBe('profiler');
  });

  it('sums busy time by component over the whole stack of each sample, idle left out', () => {
    const file = profileFile(
      [
        frame(1, '(root)', '', [2, 3, 9]),
        frame(2, '(idle)', ''),
        frame(3, 'processTicksAndRejections', 'node:internal/process/task_queues', [4]),
        frame(4, 'handle', NEST, [5]),
        frame(5, 'create', API, [6]),
        frame(6, 'evaluate', DATABASE, [7]),
        frame(7, 'query', PG_CLIENT, [8]),
        frame(8, 'writev', ''),
        frame(9, '(garbage collector)', ''),
      ],
      // idle ×2, then one busy sample in each frame from the event loop's down to the write,
      // and the write and the collector twice.
      [2, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9],
    );
    const summary = summariseProfile(file);
    expect(summary.idle).toBeCloseTo(2 / 11);
    expect(Object.fromEntries(summary.components.map((c) => [c.name, c.share]))).toEqual({
      'socket writes': 2 / 9,
      'garbage collector': 2 / 9,
      node: 1 / 9,
      NestJS: 1 / 9,
      'apps/api': 1 / 9,
      'packages/database': 1 / 9,
      pg: 1 / 9,
    });
    expect(formatProfile('dry run', summary)).toContain(
      'busy time by component (see `componentOf`): socket writes 22.2 %, garbage collector 22.2 %',
    );
  });
});
