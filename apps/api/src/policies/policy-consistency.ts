import { formatSol, formatUiAmount, type Policy } from '@waiaas/policy-engine';
import type { FieldIssue } from '../common/api-error.js';

/**
 * Limits that contradict each other: each one is valid alone, but together one of them can
 * never matter, which is almost always a typo (a daily limit of 1 with a per-transfer limit
 * of 5). Refused at write time, naming both fields, so the owner sees the mistake instead of
 * a policy that silently behaves differently from what was written. Equal limits are fine.
 *
 * @example
 * ```ts
 * findContradictions(assertPolicy({ perTxLimit: '5', dailyLimit: '1' }));
 * // [{ path: 'perTxLimit', code: 'CONTRADICTORY_LIMITS', fields: ['perTxLimit', 'dailyLimit'], ... }]
 * ```
 */
export function findContradictions(policy: Policy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const contradiction = (fields: [string, string], message: string) =>
    issues.push({ path: fields[0], code: 'CONTRADICTORY_LIMITS', message, fields });

  if (policy.perTxLimit > policy.dailyLimit)
    contradiction(
      ['perTxLimit', 'dailyLimit'],
      `perTxLimit (${formatSol(policy.perTxLimit)} SOL) is above dailyLimit (${formatSol(policy.dailyLimit)} SOL)`,
    );
  if (
    policy.requiresApproval &&
    policy.approvalThreshold !== null &&
    policy.approvalThreshold > policy.perTxLimit
  )
    contradiction(
      ['metadata.approvalThreshold', 'perTxLimit'],
      `approvalThreshold (${formatSol(policy.approvalThreshold)} SOL) is above perTxLimit (${formatSol(policy.perTxLimit)} SOL): no allowed transfer would ever need approval`,
    );
  for (const [mint, limit] of policy.tokenLimits) {
    if (limit.perTx !== null && limit.daily !== null && limit.perTx > limit.daily)
      contradiction(
        [`metadata.tokenLimits.${mint}.perTx`, `metadata.tokenLimits.${mint}.daily`],
        `perTx (${formatUiAmount(limit.perTx, limit.decimals)}) is above daily (${formatUiAmount(limit.daily, limit.decimals)}) for ${mint}`,
      );
  }
  return issues;
}
