import { type ApiErrorCode, API_ERRORS, type FieldIssue } from './api-error.js';

/** RFC 9457 problem document, as every error response of this API carries it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldIssue[];
  reasons?: unknown[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem `type` URIs are stable per code (documentation anchors). */
export function problemType(code: string): string {
  return `https://waiaas.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export function buildProblem(input: {
  code: ApiErrorCode;
  detail?: string;
  instance: string;
  requestId: string;
  errors?: FieldIssue[];
  reasons?: unknown[];
  extensions?: Record<string, unknown>;
}): ProblemDocument {
  const def = API_ERRORS[input.code];
  return {
    ...input.extensions,
    type: problemType(input.code),
    title: def.title,
    status: def.status,
    code: input.code,
    detail: input.detail ?? def.title,
    instance: input.instance,
    requestId: input.requestId,
    ...(input.errors === undefined ? {} : { errors: input.errors }),
    ...(input.reasons === undefined ? {} : { reasons: input.reasons }),
  };
}
