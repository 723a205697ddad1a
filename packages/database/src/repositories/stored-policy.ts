/**
 * Parsing a `wallet_policies` row back into a policy: pure, shared by every reader of the
 * table. Policies are validated on write, so a stored one that no longer parses is corrupt
 * data, and refusing to use it is the only safe answer.
 */
import { parsePolicy, type Policy } from '@waiaas/policy-engine';
import { RepositoryError } from '../repository-error.js';

/** The policy columns of a `wallet_policies` row, limits as decimal text. */
export interface StoredPolicyRow {
  per_tx_limit: string;
  daily_limit: string;
  allowed_assets: string[];
  allowed_addresses: string[];
  requires_approval: boolean;
  metadata: unknown;
  version: number;
}

/**
 * The parsed policy and its version; both null for a wallet without a row (deny by default).
 * Throws `POLICY_CORRUPT` when the row does not parse.
 */
export function parseStoredPolicy(
  walletId: string,
  row: StoredPolicyRow | undefined,
): { policy: Policy | null; version: number | null } {
  if (!row) return { policy: null, version: null };
  const parsed = parsePolicy({
    perTxLimit: row.per_tx_limit,
    dailyLimit: row.daily_limit,
    allowedAssets: row.allowed_assets,
    allowedAddresses: row.allowed_addresses,
    requiresApproval: row.requires_approval,
    metadata: row.metadata,
  });
  if (!parsed.ok) {
    throw new RepositoryError('POLICY_CORRUPT', {
      walletId,
      issues: parsed.issues.map((i) => `${i.path}: ${i.code}`),
    });
  }
  return { policy: parsed.policy, version: row.version };
}
