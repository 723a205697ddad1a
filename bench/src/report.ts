import { readFileSync } from 'node:fs';

/**
 * One line of the results table. `ratio` is this row's rate over its ceiling's (0.42 = 42 %).
 *
 * @example
 * ```ts
 * const row: Row = { measure: 'GET /v1/wallets/:id', rps: 1303, p50: 45, p99: 106, ratio: { of: 'Fastify', value: 0.08 }, non2xx: 0 };
 * ```
 */
export interface Row {
  measure: string;
  /** Requests (or confirmations) per second; undefined for latency-only rows. */
  rps?: number;
  p50?: number;
  p99?: number;
  ratio?: { of: string; value: number };
  non2xx?: number;
  /** Requests that got no answer at all (timeouts, connection errors). */
  errors?: number;
  /** A target from the issue, shown with the ratio (e.g. '≥ 40 %'). */
  target?: string;
  /** CPU milliseconds per request of the server process and of PostgreSQL (see `cpu.ts`). */
  cpu?: { server: number; postgres: number | undefined };
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function ms(value: number | undefined): string {
  if (value === undefined) return '—';
  return value < 10 ? value.toFixed(1) : integer.format(value);
}

function failures(r: Row): string {
  if (r.non2xx === undefined) return '—';
  const base = integer.format(r.non2xx);
  return r.errors !== undefined && r.errors > 0
    ? `${base} (+${integer.format(r.errors)} unanswered)`
    : base;
}

/**
 * The results as a Markdown table: req/s, p50, p99, ratio to its ceiling, non-2xx.
 *
 * @example
 * ```ts
 * console.log(formatTable(rows));
 * ```
 */
/** "0.17 + 0.05" (server + PostgreSQL), "0.17" without PostgreSQL's, "—" without either. */
function cpuCell(cpu: Row['cpu']): string {
  if (cpu === undefined) return '—';
  const f = (v: number) => v.toFixed(2);
  return cpu.postgres === undefined ? f(cpu.server) : `${f(cpu.server)} + ${f(cpu.postgres)}`;
}

export function formatTable(rows: readonly Row[]): string {
  const lines = [
    '| measure | req/s | p50 ms | p99 ms | ratio | target | non-2xx | CPU ms/req: server + PostgreSQL |',
    '|---|---:|---:|---:|---|---|---:|---:|',
  ];
  for (const r of rows) {
    const ratio =
      r.ratio === undefined ? '—' : `${Math.round(r.ratio.value * 100)} % of ${r.ratio.of}`;
    lines.push(
      `| ${r.measure} | ${r.rps === undefined ? '—' : integer.format(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ratio} | ${r.target ?? '—'} | ${failures(r)} | ${cpuCell(r.cpu)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Percentile (nearest rank) of an unsorted list; undefined when it is empty.
 *
 * @example
 * ```ts
 * percentile([5, 1, 3], 50); // 3
 * ```
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The generated part of RESULTS.md sits between these; anything outside them is kept. */
export const RESULTS_START = '<!-- pnpm bench: generated from here -->';
export const RESULTS_END = '<!-- pnpm bench: generated up to here -->';

/**
 * Puts `generated` between the markers of `existing` (or at its top when it has none), so a
 * run replaces the figures and keeps the hand-written analysis around them.
 *
 * @example
 * ```ts
 * writeFileSync(file, replaceGenerated(readFileSync(file, 'utf8'), markdown));
 * ```
 */
export function replaceGenerated(existing: string, generated: string): string {
  const block = `${RESULTS_START}\n\n${generated.trim()}\n\n${RESULTS_END}`;
  const start = existing.indexOf(RESULTS_START);
  const end = existing.indexOf(RESULTS_END);
  if (start === -1 || end === -1 || end < start)
    return `${block}\n${existing === '' ? '' : `\n${existing}`}`;
  return existing.slice(0, start) + block + existing.slice(end + RESULTS_END.length);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Where a CPU profile spent its time: self time by function and by module (package, or the
 * workspace package / app a file belongs to), as shares of the profile's duration.
 *
 * @example
 * ```ts
 * const summary: ProfileSummary = summariseProfile('bench/.runs/x/api.1.cpuprofile');
 * ```
 */
export interface ProfileSummary {
  seconds: number;
  /** Share of samples spent idle (waiting for I/O). */
  idle: number;
  functions: { name: string; share: number }[];
  modules: { name: string; share: number }[];
  /** Busy time by {@link componentOf}, as shares of the busy (not idle) samples. */
  components: { name: string; share: number }[];
}

/** V8's names for a native write to a socket (`net.Socket` through libuv). */
const SOCKET_WRITES = new Set([
  'writev',
  'writeUtf8String',
  'writeBuffer',
  'writeLatin1String',
  'writeAsciiString',
]);
const PG = new Set(['pg', 'pg-pool', 'pg-protocol', 'pg-types', 'pg-connection-string']);
const IOREDIS = new Set([
  'ioredis',
  'redis-parser',
  'redis-errors',
  'denque',
  'standard-as-callback',
  'cluster-key-slot',
]);
const VALIDATION = new Set(['class-validator', 'class-transformer', 'validator']);
const FASTIFY = new Set(['fastify', 'find-my-way', 'avvio', 'light-my-request', 'toad-cache']);

/**
 * The rules of {@link componentOf}, in order: a sample goes to the first rule that some frame
 * of its stack matches, named by the rule or (`name` undefined) by the frame's module.
 */
const COMPONENT_RULES: readonly {
  name: string | undefined;
  matches: (module: string, functionName: string, url: string) => boolean;
}[] = [
  // The harness's own profiler toggling (src/profiler.ts), not the code under test.
  { name: 'profiler', matches: (_, __, url) => url.endsWith('/bench/dist/profiler.js') },
  { name: 'socket writes', matches: (_, fn, url) => url === '' && SOCKET_WRITES.has(fn) },
  { name: 'garbage collector', matches: (m) => m === '(garbage collector)' },
  { name: 'pg', matches: (m) => PG.has(m) },
  { name: 'ioredis', matches: (m) => IOREDIS.has(m) },
  { name: 'class-validator', matches: (m) => VALIDATION.has(m) },
  { name: undefined, matches: (m) => m.startsWith('packages/') },
  { name: undefined, matches: (m) => m.startsWith('apps/') },
  { name: 'NestJS', matches: (m) => m.startsWith('@nestjs/') },
  { name: 'Fastify', matches: (m) => FASTIFY.has(m) || m.startsWith('@fastify/') },
  { name: 'node', matches: (m) => m === 'node:internal' },
];

/**
 * Which part of the stack a busy sample belongs to, for "where does a request's time go":
 * the bench's own profiler, a native socket write (on loopback the sender's write also runs
 * the receiver's TCP path and wakes it, so it is worth its own line), the garbage collector,
 * the `pg` and Redis clients, validation, then our own code (each workspace package, then
 * each app), then NestJS, Fastify and node's own modules; `other` for the rest (V8's
 * `(program)`, the microtask queue). The first of these found anywhere on the stack wins, so
 * a library's time goes to the library even when our code called it, and our code's to our
 * code even when Nest called it.
 *
 * @example
 * ```ts
 * componentOf([{ functionName: 'writev', url: '' }, { functionName: 'query', url: 'file:///r/node_modules/pg/lib/client.js' }]);
 * // 'socket writes'
 * ```
 */
export function componentOf(stack: readonly { functionName: string; url: string }[]): string {
  const modules = stack.map((f) => moduleOf(f.url, f.functionName));
  for (const rule of COMPONENT_RULES) {
    const i = stack.findIndex((f, k) => rule.matches(modules[k]!, f.functionName, f.url));
    if (i !== -1) return rule.name ?? modules[i]!;
  }
  return 'other';
}

/**
 * Reads `.cpuprofile` files (V8's format, as written by `node --cpu-prof`) and sums self
 * time; several files (the processes of one cluster, profiled over the same run) are summed
 * into one summary, with `seconds` the sum of their durations.
 *
 * @example
 * ```ts
 * const { functions } = summariseProfile(file, 12);
 * ```
 */
export function summariseProfile(files: string | readonly string[], top = 12): ProfileSummary {
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const components = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const file of typeof files === 'string' ? [files] : files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parent.set(child, node.id);
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      self.set(id, (self.get(id) ?? 0) + dt);
      total += dt;
    });
    for (const [id, time] of self) {
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined) continue;
      if (frame.functionName === '(idle)') {
        idle += time;
        continue;
      }
      const module = moduleOf(frame.url, frame.functionName);
      const name = `${frame.functionName || '(anonymous)'} (${module}${frame.url === '' ? '' : `:${shortFile(frame.url)}:${frame.lineNumber + 1}`})`;
      functions.set(name, (functions.get(name) ?? 0) + time);
      modules.set(module, (modules.get(module) ?? 0) + time);
      const stack: ProfileNode['callFrame'][] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const node = byId.get(at);
        if (node !== undefined) stack.push(node.callFrame);
      }
      const component = componentOf(stack);
      components.set(component, (components.get(component) ?? 0) + time);
    }
  }
  const rank = (m: Map<string, number>, of: number, count = top) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => ({ name, share: of === 0 ? 0 : time / of }));
  return {
    seconds: total / 1e6,
    idle: total === 0 ? 0 : idle / total,
    functions: rank(functions, total),
    modules: rank(modules, total),
    components: rank(components, total - idle, components.size),
  };
}

/**
 * The package a script URL belongs to: `node_modules/<pkg>` (scoped too), a workspace folder
 * (`apps/api`, `packages/database`), `node:internal`, or V8's own pseudo-frames.
 *
 * @example
 * ```ts
 * moduleOf('file:///r/node_modules/.pnpm/fastify@5/node_modules/fastify/lib/route.js', 'x'); // 'fastify'
 * ```
 */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const workspace = /\/(apps|packages(?:\/shared)?)\/([^/]+)\//.exec(url);
  if (workspace !== null) return `${workspace[1]}/${workspace[2]}`;
  return shortFile(url);
}

function shortFile(url: string): string {
  const parts = url.split('/');
  return parts.slice(-2).join('/');
}

/**
 * A profile summary as Markdown (three short lists).
 *
 * @example
 * ```ts
 * lines.push(formatProfile('GET balance (api)', summariseProfile(file)));
 * ```
 */
export function formatProfile(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `**${title}** — ${s.seconds.toFixed(1)} s sampled, ${pct(s.idle)} idle`,
    '',
    `- busy time by component (see \`componentOf\`): ${s.components.map((c) => `${c.name} ${pct(c.share)}`).join(', ')}`,
    `- modules (self time): ${s.modules.map((m) => `${m.name} ${pct(m.share)}`).join(', ')}`,
    `- functions (self time): ${s.functions
      .slice(0, 8)
      .map((f) => `\`${f.name}\` ${pct(f.share)}`)
      .join(', ')}`,
  ].join('\n');
}
