import { describe, expect, it } from '@jest/globals';

import { ALICE, SYSTEM_PROGRAM, TOKEN_PROGRAM, USDC } from '../test/fixtures.js';
import * as api from './index.js';

describe('public API', () => {
  it('exports the stable runtime surface (additive changes only)', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'DEFAULT_DAILY_WINDOW',
        'LAMPORTS_PER_SOL',
        'MAX_DELAY_SECONDS',
        'PolicyEngineError',
        'REASON_CODES',
        'SOL_DECIMALS',
        'U64_MAX',
        'WEEKDAYS',
        'assertPolicy',
        'delayOf',
        'describeReason',
        'evaluate',
        'formatSol',
        'formatUiAmount',
        'isOpenAt',
        'isPolicyEngineError',
        'isUiAmount',
        'lamports',
        'nextOpening',
        'parseLimit',
        'parsePolicy',
        'parseSol',
        'parseUiAmount',
        'rateWindowStart',
        'serializePolicy',
        'windowStart',
      ].sort(),
    );
  });
});

describe('every rule parsePolicy accepts changes some decision of evaluate', () => {
  const NOW = Date.parse('2026-11-22T04:00:00Z');
  const base: api.PolicyInput = { perTxLimit: '100', dailyLimit: '100', allowedAssets: [USDC] };
  const intent: api.TransferIntent = {
    asset: null,
    amount: 2_000_000_000n,
    to: ALICE,
    programs: [SYSTEM_PROGRAM],
  };
  const context: api.EvaluationContext = {
    now: NOW,
    spentInWindow: { sol: 0n, tokens: {} },
    txCountLastHour: 10,
  };
  const utcStart = Date.parse('2026-11-22T00:00:00Z');

  // For each field of Policy: a policy that sets the rule, and the intent/context it should judge differently.
  const rules: Record<
    keyof api.Policy,
    { with: api.PolicyInput; intent?: api.TransferIntent; context?: api.EvaluationContext }
  > = {
    perTxLimit: { with: { ...base, perTxLimit: '1' } },
    dailyLimit: { with: { ...base, dailyLimit: '1' } },
    allowedAssets: { with: { ...base, allowedAssets: [] }, intent: { ...intent, asset: USDC } },
    allowedAddresses: { with: { ...base, allowedAddresses: [TOKEN_PROGRAM] } },
    requiresApproval: { with: { ...base, requiresApproval: true } },
    approvalThreshold: {
      with: { ...base, requiresApproval: true, metadata: { approvalThreshold: '5' } },
      intent,
    },
    tokenLimits: {
      with: { ...base, metadata: { tokenLimits: { [USDC]: { perTx: '1', decimals: 6 } } } },
      intent: { ...intent, asset: USDC },
    },
    allowedPrograms: { with: { ...base, metadata: { allowedPrograms: [TOKEN_PROGRAM] } } },
    maxTxPerHour: { with: { ...base, metadata: { maxTxPerHour: 10 } } },
    dailyWindow: {
      with: { ...base, metadata: { dailyWindow: 'UTC_DAY' } },
      context: { ...context, spentSince: utcStart },
    },
    delay: { with: { ...base, metadata: { delayThreshold: '1', delaySeconds: 60 } } },
    // 04:00 UTC on a Sunday is 05:00 in Berlin: outside a weekday office window.
    timeWindow: {
      with: {
        ...base,
        metadata: {
          timeWindow: {
            timeZone: 'Europe/Berlin',
            ranges: [{ days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], from: '09:00', to: '17:00' }],
          },
        },
      },
    },
  };

  it.each(Object.entries(rules))('%s', (field, rule) => {
    const policy = api.assertPolicy(rule.with);
    expect(Object.keys(policy).sort()).toEqual(Object.keys(rules).sort());
    // The baseline differs from rule.with only in this field (approvalThreshold compares against requiresApproval alone).
    const baselineInput: api.PolicyInput =
      field === 'approvalThreshold' ? { ...base, requiresApproval: true } : base;
    const baseline = api.assertPolicy(baselineInput);
    const i = rule.intent ?? intent;
    const c = rule.context ?? context;
    expect(api.evaluate(policy, i, c)).not.toEqual(api.evaluate(baseline, i, c));
  });
});
