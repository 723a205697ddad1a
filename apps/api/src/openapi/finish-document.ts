import type { OpenAPIObject } from '@nestjs/swagger';
import { API_ERRORS, type ApiErrorCode } from '../common/api-error.js';
import { problemType } from '../common/problem.js';
import { CLASS_PROBLEMS, METHOD_PROBLEMS } from './api-problems.decorator.js';
import { exampleFor } from './examples.js';

/** The per-operation marker of who may call it (`x-waiaas-principals`). */
export const PRINCIPALS_EXTENSION = 'x-waiaas-principals';

/**
 * Who may call an operation: the three API key kinds, the owner console's session cookie
 * (standing in for an owner key on the console's routes), or anyone.
 */
export type DocumentedPrincipal = 'operator' | 'owner' | 'agent' | 'console-session' | 'public';

export interface FinishDocumentOptions {
  /** `METHOD /route/:param` of the routes on which the console session cookie is accepted. */
  consoleRoutes: ReadonlySet<string>;
  /** Methods on which the console cookie needs no CSRF token. */
  safeMethods: ReadonlySet<string>;
  /** The console session cookie's name. */
  consoleCookie: string;
  /** The header that carries the console's CSRF token. */
  csrfHeader: string;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_REF = '#/components/schemas/ProblemDto';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const TAGS: Record<string, string> = {
  owners: 'Owners (tenants). Created by the operator; each has one API key.',
  agents: "An owner's AI agents. Each has one API key, shown once.",
  wallets: 'Solana wallets in key custody, and which agents may use them.',
  policies: "A wallet's spending policy and what it has spent against it.",
  transfers: 'Transfers requested by agents, checked against the policy before signing.',
  transactions: 'Transfers as stored: status, approvals, history.',
  webhooks: "The owner's webhook and its deliveries.",
  console: 'Sign-in and settings of the owner console (cookie session with a CSRF token).',
  freeze:
    'The kill switch: an owner freezes a wallet, an agent or everything it owns; the operator freezes the service.',
  admin: 'Operator diagnostics.',
  health: 'Liveness and readiness probes.',
  metrics: 'Prometheus metrics.',
};

type Json = Record<string, unknown>;

interface Operation extends Json {
  tags?: string[];
  parameters?: Json[];
  requestBody?: { content?: Record<string, Json> };
  responses: Record<string, Json>;
  security?: Record<string, string[]>[];
}

/**
 * Completes the document Nest generates from the decorators into the contract the API keeps:
 * security and `x-waiaas-principals` per operation, errors as `application/problem+json` with
 * their `code` as an enum (from the code table, per status), the response headers every
 * response carries, examples, tags and servers. Done after generation because these are
 * cross-cutting facts (the auth guard, the HTTP hooks, the problem filter) that per-handler
 * decorators would repeat 35 times and let drift.
 *
 * @throws Error when an operation declares no principals (the guard would refuse it) or uses a
 *   tag without a description: the document must not silently say less than the server does.
 */
export function finishDocument(document: OpenAPIObject, options: FinishDocumentOptions): Json {
  const doc = document as unknown as Json & {
    paths: Record<string, Record<string, Operation>>;
    components: Json & { schemas: Record<string, Json> };
  };
  doc.info = {
    ...(doc.info as Json),
    license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
  };
  doc.servers = [{ url: '/', description: 'The server that serves this document' }];
  doc.components.securitySchemes = securitySchemes(options);
  doc.components.headers = HEADERS;
  restrictProblemCodes(doc.components.schemas);

  const usedTags = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      for (const tag of operation.tags ?? []) usedTags.add(tag);
      finishOperation(doc, method, path, operation, options);
    }
  }
  doc.tags = [...usedTags].sort().map((name) => {
    const description = TAGS[name];
    if (description === undefined) throw new Error(`OpenAPI tag ${name} has no description`);
    return { name, description };
  });
  return doc;
}

function securitySchemes(options: FinishDocumentOptions): Json {
  return {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description:
        'An opaque API key (not a JWT): ADMIN_TOKEN (operator), an owner key or an agent key.',
    },
    consoleSession: {
      type: 'apiKey',
      in: 'cookie',
      name: options.consoleCookie,
      description:
        'The owner console session (HttpOnly, SameSite=Strict), set by createConsoleSession.',
    },
    csrfToken: {
      type: 'apiKey',
      in: 'header',
      name: options.csrfHeader,
      description: "The console session's CSRF token; required with the cookie on mutations.",
    },
  };
}

const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

const HEADERS: Record<string, Json> = {
  RequestId: {
    description: 'Correlation id of the request (also `requestId` of a problem document).',
    required: true,
    schema: { type: 'string', minLength: 1 },
    example: '7b0e4c1e-3f7a-4f55-9d7b-2a8f8f3e7c11',
  },
  CacheControl: {
    description: 'Authenticated responses are never stored by shared caches.',
    required: true,
    schema: { type: 'string', enum: ['no-store'] },
  },
  CacheControlOnError: {
    description:
      'Set on errors once authentication has started; errors raised before it (unparseable body, wrong media type) may lack it.',
    schema: { type: 'string', enum: ['no-store'] },
  },
  RateLimitLimit: {
    description: 'Requests allowed per window for this API key.',
    schema: { type: 'integer', minimum: 1 },
    example: 600,
  },
  RateLimitRemaining: {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', minimum: 0 },
    example: 599,
  },
  RateLimitReset: {
    description: 'Seconds until the window resets.',
    schema: { type: 'integer', minimum: 0 },
    example: 42,
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { type: 'integer', minimum: 1 },
    example: 30,
  },
  RetryAfterOptional: {
    description: 'Seconds to wait before retrying, when the server knows.',
    schema: { type: 'integer', minimum: 1 },
    example: 1,
  },
  IdempotentReplayed: {
    description:
      'Present (`true`) when this is the stored response of an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  WwwAuthenticate: {
    description: 'The authentication scheme expected, when no credentials were sent.',
    schema: { type: 'string' },
    example: 'Bearer',
  },
};

/** `code` of the problem schema is an enum of the code table (codes are never renamed). */
function restrictProblemCodes(schemas: Record<string, Json>): void {
  const problem = schemas.ProblemDto as { properties: Record<string, Json> } | undefined;
  if (problem === undefined) throw new Error('ProblemDto is not in the document');
  problem.properties.code = {
    ...problem.properties.code,
    type: 'string',
    enum: Object.keys(API_ERRORS),
  };
}

function principalsOf(
  method: string,
  path: string,
  operation: Operation,
  options: FinishDocumentOptions,
): DocumentedPrincipal[] {
  const declared = operation[PRINCIPALS_EXTENSION] as DocumentedPrincipal[] | undefined;
  if (declared === undefined || declared.length === 0)
    throw new Error(`${method.toUpperCase()} ${path} declares no principals`);
  const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
  return declared.includes('owner') && options.consoleRoutes.has(route)
    ? [...declared, 'console-session']
    : [...declared];
}

function securityOf(
  method: string,
  principals: DocumentedPrincipal[],
  options: FinishDocumentOptions,
): Record<string, string[]>[] {
  if (principals.includes('public')) return [];
  const security: Record<string, string[]>[] = [{ bearer: [] }];
  if (principals.includes('console-session'))
    security.push(
      options.safeMethods.has(method.toUpperCase())
        ? { consoleSession: [] }
        : { consoleSession: [], csrfToken: [] },
    );
  return security;
}

/** The codes an operation can answer with because of who may call it and what it takes. */
function impliedCodes(
  method: string,
  operation: Operation,
  principals: DocumentedPrincipal[],
  options: FinishDocumentOptions,
): ApiErrorCode[] {
  const codes: ApiErrorCode[] = [];
  if (!principals.includes('public')) {
    codes.push('UNAUTHENTICATED', 'INVALID_API_KEY', 'FORBIDDEN', 'RATE_LIMITED');
    // A revoked agent's key is answered INVALID_API_KEY (AGENT_REVOKED is no longer sent).
    // An agent key can be expired or lack the operation's scope (x-waiaas-agent-scope).
    if (principals.includes('agent'))
      codes.push('AGENT_SUSPENDED', 'AGENT_KEY_EXPIRED', 'AGENT_KEY_SCOPE');
    if (principals.includes('console-session') && !options.safeMethods.has(method.toUpperCase()))
      codes.push('CSRF_REJECTED');
  }
  if ((operation.parameters ?? []).some((p) => p.in === 'path' || p.in === 'query'))
    codes.push('VALIDATION_FAILED');
  if (operation.requestBody !== undefined)
    codes.push('VALIDATION_FAILED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE');
  return codes;
}

function finishOperation(
  doc: Json,
  method: string,
  path: string,
  operation: Operation,
  options: FinishDocumentOptions,
): void {
  const principals = principalsOf(method, path, operation, options);
  operation[PRINCIPALS_EXTENSION] = principals;
  operation.security = securityOf(method, principals, options);

  const codes = new Set<ApiErrorCode>([
    ...((operation[METHOD_PROBLEMS] as ApiErrorCode[] | undefined) ?? []),
    ...((operation[CLASS_PROBLEMS] as ApiErrorCode[] | undefined) ?? []),
    ...impliedCodes(method, operation, principals, options),
  ]);
  delete operation[METHOD_PROBLEMS];
  delete operation[CLASS_PROBLEMS];

  const authenticated = !principals.includes('public');
  const commonHeaders: Json = {
    'x-request-id': headerRef('RequestId'),
    ...(authenticated ? { 'Cache-Control': headerRef('CacheControl') } : {}),
  };
  const rateLimitHeaders: Json = authenticated
    ? {
        'RateLimit-Limit': headerRef('RateLimitLimit'),
        'RateLimit-Remaining': headerRef('RateLimitRemaining'),
        'RateLimit-Reset': headerRef('RateLimitReset'),
      }
    : {};

  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    if (isProblemResponse(response)) continue; // rebuilt from the code table below
    responses[status] = finishSuccess(doc, status, response, {
      ...commonHeaders,
      ...rateLimitHeaders,
      ...(operation.operationId === 'createTransfer'
        ? { 'Idempotent-Replayed': headerRef('IdempotentReplayed') }
        : {}),
    });
  }
  const errorHeaders: Json = {
    'x-request-id': headerRef('RequestId'),
    ...(authenticated ? { 'Cache-Control': headerRef('CacheControlOnError') } : {}),
  };
  for (const [status, statusCodes] of groupByStatus(codes))
    responses[status] = problemResponse(statusCodes, {
      ...errorHeaders,
      ...(status === '429'
        ? { ...rateLimitHeaders, 'Retry-After': headerRef('RetryAfter') }
        : status === '401'
          ? { 'WWW-Authenticate': headerRef('WwwAuthenticate') }
          : status === '409' && codes.has('IDEMPOTENCY_REQUEST_IN_PROGRESS')
            ? { 'Retry-After': headerRef('RetryAfterOptional') }
            : {}),
    });
  responses.default = {
    ...problemResponse(Object.keys(API_ERRORS) as ApiErrorCode[], {
      ...errorHeaders,
      'Retry-After': headerRef('RetryAfterOptional'),
    }),
    description:
      'Any other failure (5xx: INTERNAL, CUSTODY_*, RPC_UNAVAILABLE, DATABASE_UNAVAILABLE, DATABASE_CONFLICT, SHUTTING_DOWN, …) as a problem document.',
  };
  operation.responses = responses;

  for (const media of Object.values(operation.requestBody?.content ?? {})) addExample(doc, media);
}

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '204': 'No content',
};

function isProblemResponse(response: Json): boolean {
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  return Object.values(content ?? {}).some((media) => media.schema?.$ref === PROBLEM_REF);
}

function finishSuccess(doc: Json, status: string, response: Json, headers: Json): Json {
  const finished: Json = {
    ...response,
    description: response.description || SUCCESS_DESCRIPTIONS[status] || 'Success',
    headers: { ...headers, ...(response.headers as Json) },
  };
  const content = response.content as Record<string, Json> | undefined;
  if (content !== undefined && status.startsWith('2'))
    for (const media of Object.values(content)) addExample(doc, media);
  return finished;
}

function addExample(doc: Json, media: Json): void {
  if (media.example !== undefined || media.examples !== undefined) return;
  const schema = media.schema as Json | undefined;
  if (schema === undefined) return;
  media.example = exampleFor(doc, schema);
}

function groupByStatus(codes: Set<ApiErrorCode>): Map<string, ApiErrorCode[]> {
  const byStatus = new Map<string, ApiErrorCode[]>();
  for (const code of Object.keys(API_ERRORS) as ApiErrorCode[]) {
    if (!codes.has(code)) continue;
    const status = String(API_ERRORS[code].status);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a.localeCompare(b)));
}

function problemResponse(codes: ApiErrorCode[], headers: Json): Json {
  const first = codes[0];
  if (first === undefined) throw new Error('a problem response needs a code');
  const { status, title } = API_ERRORS[first];
  return {
    description: codes.map((code) => `\`${code}\`: ${API_ERRORS[code].title}`).join('; '),
    headers,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [
            { $ref: PROBLEM_REF },
            {
              type: 'object',
              properties: {
                status: {
                  type: 'integer',
                  enum: [...new Set(codes.map((c) => API_ERRORS[c].status))],
                },
                code: { type: 'string', enum: codes },
              },
            },
          ],
        },
        example: {
          type: problemType(first),
          title,
          status,
          code: first,
          detail: title,
          instance: '/v1/…',
          requestId: '7b0e4c1e-3f7a-4f55-9d7b-2a8f8f3e7c11',
        },
      },
    },
  };
}
