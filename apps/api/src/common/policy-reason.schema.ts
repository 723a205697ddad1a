import { REASON_CODES } from '@waiaas/policy-engine';

/**
 * The OpenAPI schema of one policy reason (in a decision and in a POLICY_DENIED problem): a
 * code from the policy engine's list and, beside it, the figures of that reason (limit, spent,
 * requested…, amounts as base-unit strings), which differ per code.
 */
export const POLICY_REASON_SCHEMA = {
  type: 'object' as const,
  required: ['code'],
  properties: { code: { type: 'string' as const, enum: [...REASON_CODES] } },
  additionalProperties: true,
};
