import fc from 'fast-check';
import type { PrismaClient } from '@waiaas/database';
import { headerValue, hostileValue, pathValue, percentEncode } from './hostile-values.js';
import { type Components, fromSchema, type Schema } from './openapi-arbitraries.js';

/** Who sends a request: the three real principals, nobody, or a credential that is garbage. */
export type PrincipalName = 'operator' | 'owner' | 'agent' | 'none' | 'garbage';
const PRINCIPALS: PrincipalName[] = ['operator', 'owner', 'agent', 'none', 'garbage'];

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

/** One operation of the served OpenAPI document. */
export interface Operation {
  method: string;
  template: string;
  parameters: Parameter[];
  body: Schema | null;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      }
    >
  >;
  components?: { schemas?: Components };
}

/** Every operation the document describes. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content?.['application/json']?.schema ?? null,
    })),
  );
}

/** A generated request, before the principal's credential is filled in. */
interface Generated {
  op: Operation;
  principal: PrincipalName;
  garbageAuth: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  shape: string;
}

const enc = new TextEncoder();

/** Bodies that are not what the schema asks for, as raw bytes with the content type to send. */
function rawBodies(
  valid: fc.Arbitrary<unknown>,
): fc.Arbitrary<{ bytes: Uint8Array; type: string | null; shape: string }> {
  const json = (shape: string, text: string, type: string | null = 'application/json') => ({
    bytes: enc.encode(text),
    type,
    shape,
  });
  return fc.oneof(
    valid.chain((v) =>
      fc.tuple(fc.constant(v), hostileValue).map(([value, other]) => {
        const text = JSON.stringify(value) ?? 'null';
        const key = typeof value === 'object' && value !== null ? Object.keys(value)[0] : undefined;
        // The same key twice: a parser that keeps the last (or the first) must be refused.
        return key === undefined
          ? json('duplicate-key', `{"a":1,"a":${JSON.stringify(other) ?? 'null'}}`)
          : json(
              'duplicate-key',
              `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(other) ?? 'null'}}`,
            );
      }),
    ),
    valid.map((v) => {
      const text = JSON.stringify(v) ?? 'null';
      const bytes = new Uint8Array([
        ...enc.encode(text.slice(0, -1)),
        0xff,
        0xfe,
        0xc3,
        ...enc.encode(text.slice(-1)),
      ]);
      return { bytes, type: 'application/json', shape: 'invalid-utf8' };
    }),
    fc.constantFrom(
      json('truncated', '{"to":'),
      json('empty', ''),
      json('scalar', '"str"'),
      json('null', 'null'),
      json('array', '[]'),
      json('number', '123'),
      json('bom', '\ufeff{}'),
      json('proto', '{"__proto__":{"admin":true},"name":"x"}'),
      json('constructor', '{"constructor":{"prototype":{"admin":true}}}'),
      json('deep-2000', `${'['.repeat(2_000)}${']'.repeat(2_000)}`),
      json('deep-objects', `${'{"a":'.repeat(1_000)}1${'}'.repeat(1_000)}`),
      json('huge', JSON.stringify({ name: 'x'.repeat(70 * 1024) })),
      json('nul-escape', '{"name":"a\\u0000b","label":"\\u0000","url":"https://e.com/\\u0000"}'),
      json('lone-surrogate', '{"name":"\\ud800","label":"\\udfff","memo":"\\ud800x"}'),
      json('text-plain', '{"name":"x"}', 'text/plain'),
      json('form', 'name=x&label=y', 'application/x-www-form-urlencoded'),
      json('xml', '<a/>', 'application/xml'),
      json('multipart', '--b\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b'),
      json('no-type', '{"name":"x"}', null),
      json('latin1', '{"name":"x"}', 'application/json; charset=latin1'),
      json('merge-patch', '{"name":"x"}', 'application/merge-patch+json'),
    ),
  );
}

function requestArbitrary(
  ops: Operation[],
  ids: string[],
  components: Components,
): fc.Arbitrary<Generated> {
  return fc.constantFrom(...ops).chain((op) => {
    const valid = op.body ? fromSchema(op.body, components) : fc.jsonValue({ maxDepth: 2 });
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    return fc
      .record({
        op: fc.constant(op),
        principal: fc.constantFrom(...PRINCIPALS),
        garbageAuth: fc.oneof(
          fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n\0]/g, '')}`),
          fc.constantFrom(
            'Bearer',
            'Basic YWRtaW46YWRtaW4=',
            'Bearer waiaas_owner_1111111111111111111111111111',
            'Bearer waiaas_agent_',
            'bearer x y',
          ),
        ),
        method: fc.oneof(
          { weight: 9, arbitrary: fc.constant(op.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          },
        ),
        path: fc.tuple(...pathParams.map(() => pathValue(ids))).map((values) => {
          let path = op.template;
          pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i] ?? '')));
          return path;
        }),
        query: fc
          .array(
            fc.tuple(
              fc.oneof(
                fc.constantFrom(
                  ...(queryParams.length > 0 ? queryParams.map((p) => p.name) : ['x']),
                ),
                fc.constantFrom('sort', '__proto__', 'limit[]'),
              ),
              fc.oneof(
                fc.constantFrom('PENDING', 'CONFIRMED', '1', '100', '101', '0', '-1', 'abc', ''),
                hostileValue.map((v) =>
                  typeof v === 'string'
                    ? v.slice(0, 200)
                    : (JSON.stringify(v)?.slice(0, 200) ?? ''),
                ),
              ),
            ),
            { maxLength: queryParams.length > 0 ? 3 : 1 },
          )
          .map((pairs) =>
            pairs.length === 0
              ? ''
              : `?${pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`,
          ),
        headers: fc
          .record({
            key: fc.option(headerValue, { freq: 4 }),
            requestId: fc.option(headerValue, { freq: 4 }),
          })
          .map(({ key, requestId }) => ({
            ...(key === null ? {} : { 'idempotency-key': key }),
            ...(requestId === null ? {} : { 'x-request-id': requestId }),
          })),
        bodyChoice: fc.oneof(
          {
            weight: 6,
            arbitrary: valid.map((v) => ({
              bytes: enc.encode(JSON.stringify(v) ?? 'null'),
              type: 'application/json',
              shape: 'schema',
            })),
          },
          { weight: 3, arbitrary: rawBodies(valid) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
      })
      .map(({ bodyChoice, ...rest }) => ({
        ...rest,
        headers: {
          ...rest.headers,
          ...(bodyChoice?.type ? { 'content-type': bodyChoice.type } : {}),
        },
        body: bodyChoice === null ? null : bodyChoice.bytes,
        shape: bodyChoice === null ? 'no-body' : bodyChoice.shape,
      }));
  });
}

/** What the fuzzer works against. */
export interface FuzzTarget {
  baseUrl: string;
  /** A client of the same database that is not the app's (for counting rows). */
  prisma: PrismaClient;
  document: unknown;
  /** Credentials; owner and agent keys are replaced when a request rotates them. */
  keys: { operator: string; owner: string; agent: string };
  /** Ids to put in path parameters (never the principals' own, so they stay usable). */
  ids: string[];
}

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Refused requests may change these tables, by problem code (documented behaviour). */
  allowedWrites?: Record<string, string[]>;
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  byPrincipal: Record<string, number>;
  byOperation: Record<string, number>;
  byShape: Record<string, number>;
  /** Milliseconds per operation, summed, and the slowest single answer. */
  msByOperation: Record<string, number>;
  slowestMs: number;
}

const TABLES = [
  'owners',
  'agents',
  'wallets',
  'wallet_agents',
  'wallet_policies',
  'wallet_policy_versions',
  'transactions',
  'idempotency_records',
  'events',
  'webhook_endpoints',
  'webhook_deliveries',
  'local_keys',
];

async function rowCounts(prisma: PrismaClient): Promise<Record<string, number>> {
  const sql = `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(', ')}`;
  const [row] = await prisma.$queryRawUnsafe<Record<string, number>[]>(sql);
  return row ?? {};
}

function describe(g: Generated): string {
  const body = g.body === null ? '' : Buffer.from(g.body).toString('utf8').slice(0, 300);
  return `${g.method} ${g.path.slice(0, 200)}${g.query.slice(0, 200)} as ${g.principal} [${g.shape}] ${JSON.stringify(g.headers)} ${body}`;
}

/**
 * Sends `options.requests` generated requests, one after another, and checks each answer:
 * never a 5xx, never a hang (15 s), every error an `application/problem+json` with a `code`
 * and the status it claims, and no row written by a refused request. Deterministic for a seed.
 *
 * @throws Error describing the first request that broke a rule (with the seed to replay it)
 */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const document = target.document as OpenApiDocument;
  const ops = operationsOf(document);
  const report: FuzzReport = {
    requests: 0,
    byStatus: {},
    byPrincipal: {},
    byOperation: {},
    byShape: {},
    msByOperation: {},
    slowestMs: 0,
  };
  const bump = (m: Record<string, number>, k: string) =>
    (m[k] = (Object.hasOwn(m, k) ? (m[k] ?? 0) : 0) + 1);

  const property = fc.asyncProperty(
    requestArbitrary(ops, target.ids, document.components?.schemas ?? {}),
    async (g) => {
      const headers: Record<string, string> = { ...g.headers };
      if (g.principal === 'garbage') headers.authorization = g.garbageAuth;
      else if (g.principal !== 'none') headers.authorization = `Bearer ${target.keys[g.principal]}`;
      const before = await rowCounts(target.prisma);
      let response: Response;
      const started = performance.now();
      try {
        response = await fetch(target.baseUrl + g.path + g.query, {
          method: g.method,
          headers,
          ...(g.body === null || g.method === 'GET' || g.method === 'HEAD'
            ? {}
            : { body: Buffer.from(g.body) }),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (e) {
        throw new Error(`request failed or hung (${(e as Error).message}): ${describe(g)}`, {
          cause: e,
        });
      }
      const text = await response.text();
      const ms = performance.now() - started;
      report.slowestMs = Math.max(report.slowestMs, Math.round(ms));
      const opName = `${g.op.method} ${g.op.template}`;
      report.msByOperation[opName] = Math.round((report.msByOperation[opName] ?? 0) + ms);
      report.requests += 1;
      bump(report.byStatus, String(response.status));
      bump(report.byPrincipal, g.principal);
      bump(report.byOperation, `${g.op.method} ${g.op.template}`);
      bump(report.byShape, g.shape);
      const status = response.status;
      if (status >= 500) throw new Error(`${status} ${text.slice(0, 500)} for ${describe(g)}`);
      if (status >= 400) {
        const type = response.headers.get('content-type') ?? '';
        let problem: { code?: unknown; status?: unknown } = {};
        try {
          problem = JSON.parse(text) as typeof problem;
        } catch {
          // falls through to the check below
        }
        if (
          !type.startsWith('application/problem+json') ||
          typeof problem.code !== 'string' ||
          problem.status !== status
        )
          throw new Error(
            `${status} is not a coded problem+json (${type}): ${text.slice(0, 300)} for ${describe(g)}`,
          );
        const after = await rowCounts(target.prisma);
        const allowed = new Set(options.allowedWrites?.[problem.code] ?? []);
        const changed = TABLES.filter((t) => before[t] !== after[t] && !allowed.has(t));
        if (changed.length > 0)
          throw new Error(
            `refused with ${status} ${problem.code} but wrote to ${changed.join(', ')}: ${describe(g)}`,
          );
      } else if (status < 300 && g.principal !== 'operator' && !/\{/.test(g.op.template)) {
        // A principal that rotated its own key keeps working with the new one.
        if (g.op.template.includes('/me') && text.startsWith('{')) {
          const body = JSON.parse(text) as { apiKey?: unknown };
          if (typeof body.apiKey === 'string')
            target.keys[g.principal as 'owner' | 'agent'] = body.apiKey;
        }
      }
    },
  );
  await fc.assert(property, { numRuns: options.requests, seed: options.seed, endOnFailure: true });
  return report;
}
