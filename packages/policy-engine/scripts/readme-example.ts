// The README's example, kept runnable: `pnpm --filter @waiaas/policy-engine example`.
import {
  describeReason,
  evaluate,
  parsePolicy,
  parseUiAmount,
  windowStart,
} from '@waiaas/policy-engine';

const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const ALICE = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

// 1. Validate a policy as the REST API receives it (or as the wallet_policies row holds it).
const parsed = parsePolicy({
  perTxLimit: '1', // SOL
  dailyLimit: '5', // SOL, rolling 24 h by default
  allowedAssets: [USDC],
  allowedAddresses: [ALICE],
  requiresApproval: true,
  metadata: {
    tokenLimits: { [USDC]: { perTx: '100', daily: '500', decimals: 6 } }, // UI units + the mint's decimals
    approvalThreshold: '0.5', // SOL: only transfers above 0.5 SOL wait for the owner
    maxTxPerHour: 20,
  },
});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const policy = parsed.policy;

// A typo never silently disables a rule:
console.log(parsePolicy({ perTxLimit: '1', dailyLimit: '5', metadata: { maxTxPerHr: 20 } }));
// → { ok: false, issues: [{ path: 'metadata.maxTxPerHr', code: 'UNKNOWN_KEY', message: 'unknown key "maxTxPerHr"' }] }

// 2. The caller sums the spend that counts from windowStart(policy, now) (inclusive) ...
const now = new Date('2026-11-22T04:00:00Z');
const since = windowStart(policy, now); // 2026-11-21T04:00:00.000Z
const context = {
  now,
  spentSince: since,
  spentInWindow: { sol: parseUiAmount('4.8', 9), tokens: {} },
  txCountLastHour: 3,
};

// 3. ... and asks for a decision.
const small = evaluate(
  policy,
  { asset: null, amount: parseUiAmount('0.1', 9), to: ALICE },
  context,
);
console.log(small.outcome); // ALLOW

const large = evaluate(
  policy,
  { asset: null, amount: parseUiAmount('0.75', 9), to: ALICE },
  context,
);
console.log(large.outcome); // DENY: 0.75 SOL > 0.2 SOL left today (and it would need approval)
for (const reason of large.reasons) console.log(reason.code, '-', describeReason(reason));
console.log(JSON.stringify(large)); // amounts are decimal strings in base units: safe to store and return
