import { isWaiaasApiError, type PolicyReason } from '@waiaas/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RemainingDailyBudget } from './budget.js';

/**
 * The structured error of a tool result (`isError: true`, `structuredContent.error`). `code` is
 * the API's stable problem code (`POLICY_DENIED`, `NOT_FOUND`, `IDEMPOTENCY_KEY_REUSED`, ...)
 * or the client's own (`NETWORK_ERROR`, `TIMEOUT`, `WAIT_TIMEOUT`).
 */
export interface ToolError {
  code: string;
  /** HTTP status, null when no response arrived. */
  status: number | null;
  message: string;
  /** True when the same call (same idempotency key for a send) may simply be made again. */
  retryable: boolean;
  /** POLICY_DENIED: every rule that refused, with its figures (base units). */
  reasons?: PolicyReason[];
  /** POLICY_DENIED: what is left of the daily limit for the asset (null: no daily limit). */
  remainingDailyBudget?: RemainingDailyBudget | null;
  /** Field-level issues of a VALIDATION_FAILED problem. */
  errors?: unknown[];
}

/** A successful tool result: the JSON as text (for clients without structured content) and structured. */
export function toolResult(value: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: value,
  };
}

/** A tool error result that a model can act on. */
export function toolError(error: ToolError): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify({ error }) }],
    structuredContent: { error },
  };
}

function isRetryable(code: string, status: number | null): boolean {
  if (code === 'NETWORK_ERROR' || code === 'TIMEOUT' || code === 'WAIT_TIMEOUT') return true;
  return status === 409 || status === 429 || (status !== null && status >= 500);
}

/**
 * An API error as a {@link ToolError}; anything else is a bug and is rethrown (the SDK reports
 * it as a tool error without pretending to know its cause).
 */
export function apiErrorToToolError(e: unknown): ToolError {
  if (!isWaiaasApiError(e)) throw e;
  return {
    code: e.code,
    status: e.status,
    message: e.message,
    retryable: isRetryable(e.code, e.status),
    ...(e.reasons.length > 0 ? { reasons: e.reasons } : {}),
    ...(Array.isArray(e.problem?.errors) ? { errors: e.problem.errors } : {}),
  };
}
