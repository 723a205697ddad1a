import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError, type FieldIssue } from './api-error.js';

/** Deepest nesting of objects and arrays a request body may have (ours need 4). */
export const MAX_JSON_DEPTH = 32;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** With the `u` flag a surrogate range matches only unpaired halves (pairs are one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

interface Frame {
  /** Keys seen so far (objects), or null (arrays). */
  keys: Set<string> | null;
  path: string;
  lastKey: string;
  index: number;
}

function join(path: string, segment: string): string {
  return path === '' ? segment : `${path}.${segment}`;
}

function invalid(detail: string, issue?: FieldIssue): ApiError {
  return new ApiError('INVALID_JSON', detail, issue === undefined ? {} : { errors: [issue] });
}

/**
 * One pass over the JSON text that refuses what `JSON.parse` silently accepts: an object with
 * the same key twice (JSON.parse keeps the last; a proxy or log reader may act on the first,
 * so `"amount":"0.01","amount":"50"` must not mean 50), and nesting deeper than
 * {@link MAX_JSON_DEPTH} (class-transformer and class-validator recurse, and a 2,000-deep body
 * overflowed their stack as a 500). Iterative, so any depth of input is safe to scan.
 *
 * Hand-written because no maintained npm parser both matches JSON.parse's strictness and
 * reports duplicates: secure-json-parse and Fastify's parser do not look for them, and
 * @humanwhocodes/momoa (an AST parser) accepts raw control characters inside strings. The scan
 * only needs to find strings and brackets; `JSON.parse` (through secure-json-parse) stays the
 * judge of syntax and builds the value.
 */
function checkStructure(text: string): void {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          throw invalid('The request body is not valid JSON');
        }
        if (top.keys.has(key))
          throw invalid(`The key "${key.slice(0, 64)}" appears twice in one object`, {
            path: join(top.path, key).slice(0, 256),
            code: 'DUPLICATE_KEY',
            message: 'a key may appear only once in an object',
          });
        top.keys.add(key);
        top.lastKey = key;
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_JSON_DEPTH)
        throw invalid(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
          path: '',
          code: 'MAX_DEPTH',
          message: `at most ${MAX_JSON_DEPTH} nested objects or arrays`,
        });
      const parent = stack.at(-1);
      const path =
        parent === undefined
          ? ''
          : join(parent.path, parent.keys ? parent.lastKey : String(parent.index));
      stack.push({ keys: c === '{' ? new Set() : null, path, lastKey: '', index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.keys) expectKey = true;
      else if (top) top.index += 1;
    }
  }
}

/**
 * Refuses text PostgreSQL cannot store or would store altered: U+0000 (`text` and `jsonb`
 * reject it, which surfaced as a 500), and unpaired UTF-16 surrogates (from `\uD800` escapes;
 * they would be written as U+FFFD). Keys are checked as well as values.
 */
function checkStrings(value: unknown): void {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  const issues: FieldIssue[] = [];
  const check = (s: string, path: string) => {
    if (s.includes('\u0000'))
      issues.push({ path, code: 'NUL_CHARACTER', message: 'text must not contain U+0000' });
    else if (LONE_SURROGATE.test(s))
      issues.push({
        path,
        code: 'UNPAIRED_SURROGATE',
        message: 'text must be well-formed Unicode (no unpaired surrogate)',
      });
  };
  while (stack.length > 0 && issues.length < 20) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') check(v, path);
    else if (Array.isArray(v))
      v.forEach((item, i) => stack.push({ value: item, path: join(path, String(i)) }));
    else if (typeof v === 'object' && v !== null)
      for (const [key, item] of Object.entries(v)) {
        check(key, join(path, key.slice(0, 64)));
        stack.push({ value: item, path: join(path, key) });
      }
  }
  if (issues.length > 0)
    throw new ApiError(
      'VALIDATION_FAILED',
      'The request body contains text that cannot be stored',
      {
        errors: issues.map((issue) => ({ ...issue, path: issue.path.slice(0, 256) })),
      },
    );
}

/**
 * Parses a JSON request body: UTF-8 only (bytes that do not decode are refused, never turned
 * into U+FFFD and sent on chain), no duplicate keys, bounded depth, prototype-poisoning keys
 * refused (secure-json-parse, as Fastify's own parser), no NUL or unpaired surrogates.
 *
 * @throws {ApiError} INVALID_JSON or VALIDATION_FAILED
 * @example
 * ```ts
 * parseJsonBody(Buffer.from('{"to":"…","amount":"0.1"}')); // { to: '…', amount: '0.1' }
 * ```
 */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw invalid('The request body is not valid UTF-8', {
      path: '',
      code: 'INVALID_UTF8',
      message: 'JSON must be encoded as UTF-8',
    });
  }
  if (text.trim() === '') throw invalid('The request body is empty');
  checkStructure(text);
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    }) as unknown;
  } catch {
    throw invalid('The request body is not valid JSON');
  }
  checkStrings(value);
  return value;
}

const JSON_SUFFIX = /^application\/[a-z0-9.!#$%&'*^_`{|}~-]+\+json$/i;

/**
 * Replaces Fastify's JSON body parser with {@link parseJsonBody} for `application/json` and
 * `application/*+json` (the types the request hook lets through).
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parser = (
    _request: unknown,
    body: string | Buffer,
    done: (e: Error | null, v?: unknown) => void,
  ) => {
    try {
      done(null, parseJsonBody(Buffer.isBuffer(body) ? body : Buffer.from(body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  };
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, parser);
  fastify.addContentTypeParser(JSON_SUFFIX, { parseAs: 'buffer', bodyLimit }, parser);
}
