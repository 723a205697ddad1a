import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  arbitraryAmount,
  arbitraryContext,
  arbitraryIntent,
  arbitraryPolicyInput,
} from '../test/arbitraries.js';
import {
  ALICE,
  BOB,
  BONK,
  CAROL,
  ROGUE_PROGRAM,
  SYSTEM_PROGRAM,
  TOKEN_PROGRAM,
  USDC,
} from '../test/fixtures.js';
import { U64_MAX } from './amount.js';
import {
  type Decision,
  delayOf,
  describeReason,
  evaluate,
  type EvaluationContext,
  type Reason,
  REASON_CODES,
  type TransferIntent,
} from './evaluate.js';
import { assertPolicy, parsePolicy, type PolicyInput, serializePolicy } from './policy.js';
import { windowStart } from './window.js';

const SOL = 1_000_000_000n;
const NOW = Date.parse('2026-11-22T04:00:00Z');

function context(overrides: Partial<EvaluationContext> = {}): EvaluationContext {
  return { now: NOW, spentInWindow: { sol: 0n, tokens: {} }, txCountLastHour: 0, ...overrides };
}
function spent(
  sol: bigint,
  tokens: Record<string, bigint> = {},
): Pick<EvaluationContext, 'spentInWindow'> {
  return { spentInWindow: { sol, tokens } };
}
function solTo(to: string, amount: bigint, programs?: string[]): TransferIntent {
  return programs === undefined
    ? { asset: null, amount, to }
    : { asset: null, amount, to, programs };
}
const codes = (d: Decision): string[] => d.reasons.map((r) => r.code);

const simple: PolicyInput = { perTxLimit: '1', dailyLimit: '2' };

describe('evaluate: one rule at a time', () => {
  interface Case {
    name: string;
    policy: PolicyInput | null;
    intent: TransferIntent;
    context?: Partial<EvaluationContext>;
    outcome: Decision['outcome'];
    reasons: Reason[];
  }
  const cases: Case[] = [
    // Deny by default.
    {
      name: 'no policy',
      policy: null,
      intent: solTo(ALICE, 1n),
      outcome: 'DENY',
      reasons: [{ code: 'NO_POLICY' }],
    },
    // Per-transaction SOL limit, inclusive.
    {
      name: 'per-tx: amount == limit',
      policy: simple,
      intent: solTo(ALICE, SOL),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'per-tx: limit + 1 lamport',
      policy: simple,
      intent: solTo(ALICE, SOL + 1n),
      outcome: 'DENY',
      reasons: [
        {
          code: 'PER_TX_LIMIT_EXCEEDED',
          asset: null,
          decimals: 9,
          limit: '1000000000',
          requested: '1000000001',
          fee: '0',
        },
      ],
    },
    {
      name: 'per-tx: limit 0 sends nothing',
      policy: { perTxLimit: '0', dailyLimit: '10' },
      intent: solTo(ALICE, 1n),
      outcome: 'DENY',
      reasons: [
        {
          code: 'PER_TX_LIMIT_EXCEEDED',
          asset: null,
          decimals: 9,
          limit: '0',
          requested: '1',
          fee: '0',
        },
      ],
    },
    // Daily SOL limit, inclusive.
    {
      name: 'daily: spent + amount == limit',
      policy: simple,
      intent: solTo(ALICE, SOL),
      context: spent(SOL),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'daily: spent + amount == limit + 1',
      policy: simple,
      intent: solTo(ALICE, SOL),
      context: spent(SOL + 1n),
      outcome: 'DENY',
      reasons: [
        {
          code: 'DAILY_LIMIT_EXCEEDED',
          asset: null,
          decimals: 9,
          window: 'ROLLING_24H',
          limit: '2000000000',
          spent: '1000000001',
          requested: '1000000000',
          fee: '0',
          remaining: '999999999',
        },
      ],
    },
    {
      name: 'daily: already over the limit, remaining is 0',
      policy: { ...simple, metadata: { dailyWindow: 'UTC_DAY' } },
      intent: solTo(ALICE, 1n),
      context: spent(3n * SOL),
      outcome: 'DENY',
      reasons: [
        {
          code: 'DAILY_LIMIT_EXCEEDED',
          asset: null,
          decimals: 9,
          window: 'UTC_DAY',
          limit: '2000000000',
          spent: '3000000000',
          requested: '1',
          fee: '0',
          remaining: '0',
        },
      ],
    },
    {
      name: 'daily: limit 0 sends nothing',
      policy: { perTxLimit: '1', dailyLimit: '0' },
      intent: solTo(ALICE, 1n),
      outcome: 'DENY',
      reasons: [
        {
          code: 'DAILY_LIMIT_EXCEEDED',
          asset: null,
          decimals: 9,
          window: 'ROLLING_24H',
          limit: '0',
          spent: '0',
          requested: '1',
          fee: '0',
          remaining: '0',
        },
      ],
    },
    // Assets.
    {
      name: 'assets: SOL is always allowed',
      policy: { ...simple, allowedAssets: [USDC] },
      intent: solTo(ALICE, 1n),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'assets: empty list means SOL only',
      policy: simple,
      intent: { asset: USDC, amount: 1n, to: ALICE },
      outcome: 'DENY',
      reasons: [{ code: 'ASSET_NOT_ALLOWED', asset: USDC }],
    },
    {
      name: 'assets: mint not listed',
      policy: { ...simple, allowedAssets: [BONK] },
      intent: { asset: USDC, amount: 1n, to: ALICE },
      outcome: 'DENY',
      reasons: [{ code: 'ASSET_NOT_ALLOWED', asset: USDC }],
    },
    {
      name: 'assets: listed mint without tokenLimits has no amount limit',
      policy: { ...simple, allowedAssets: [USDC] },
      intent: { asset: USDC, amount: U64_MAX, to: ALICE },
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'assets: SOL limits do not apply to tokens',
      policy: { perTxLimit: '0', dailyLimit: '0', allowedAssets: [USDC] },
      intent: { asset: USDC, amount: 10n ** 12n, to: ALICE },
      context: spent(100n * SOL),
      outcome: 'ALLOW',
      reasons: [],
    },
    // Token limits, inclusive, per mint.
    ...tokenCases(),
    // Recipients.
    {
      name: 'recipients: empty list allows anyone',
      policy: simple,
      intent: solTo(CAROL, 1n),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'recipients: listed',
      policy: { ...simple, allowedAddresses: [ALICE, BOB] },
      intent: solTo(BOB, 1n),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'recipients: not listed',
      policy: { ...simple, allowedAddresses: [ALICE] },
      intent: solTo(CAROL, 1n),
      outcome: 'DENY',
      reasons: [{ code: 'RECIPIENT_NOT_ALLOWED', recipient: CAROL }],
    },
    {
      name: 'recipients: applies to tokens too',
      policy: { ...simple, allowedAssets: [USDC], allowedAddresses: [ALICE] },
      intent: { asset: USDC, amount: 1n, to: BOB },
      outcome: 'DENY',
      reasons: [{ code: 'RECIPIENT_NOT_ALLOWED', recipient: BOB }],
    },
    // Programs.
    {
      name: 'programs: not restricted ignores them',
      policy: simple,
      intent: solTo(ALICE, 1n, [ROGUE_PROGRAM]),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'programs: all listed',
      policy: { ...simple, metadata: { allowedPrograms: [SYSTEM_PROGRAM, TOKEN_PROGRAM] } },
      intent: solTo(ALICE, 1n, [SYSTEM_PROGRAM]),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'programs: declared none',
      policy: { ...simple, metadata: { allowedPrograms: [SYSTEM_PROGRAM] } },
      intent: solTo(ALICE, 1n, []),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'programs: each unlisted program once',
      policy: { ...simple, metadata: { allowedPrograms: [SYSTEM_PROGRAM] } },
      intent: solTo(ALICE, 1n, [ROGUE_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM, ROGUE_PROGRAM]),
      outcome: 'DENY',
      reasons: [
        { code: 'PROGRAM_NOT_ALLOWED', program: ROGUE_PROGRAM },
        { code: 'PROGRAM_NOT_ALLOWED', program: TOKEN_PROGRAM },
      ],
    },
    {
      name: 'programs: undeclared is denied, never assumed empty',
      policy: { ...simple, metadata: { allowedPrograms: [SYSTEM_PROGRAM] } },
      intent: solTo(ALICE, 1n),
      outcome: 'DENY',
      reasons: [{ code: 'PROGRAM_NOT_ALLOWED', program: null }],
    },
    // Rate limit: count + 1 > max.
    {
      name: 'rate: one below the limit',
      policy: { ...simple, metadata: { maxTxPerHour: 5 } },
      intent: solTo(ALICE, 1n),
      context: { txCountLastHour: 4 },
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'rate: at the limit',
      policy: { ...simple, metadata: { maxTxPerHour: 5 } },
      intent: solTo(ALICE, 1n),
      context: { txCountLastHour: 5 },
      outcome: 'DENY',
      reasons: [{ code: 'RATE_LIMITED', limit: '5', spent: '5', requested: '1', remaining: '0' }],
    },
    {
      name: 'rate: 0 per hour sends nothing',
      policy: { ...simple, metadata: { maxTxPerHour: 0 } },
      intent: solTo(ALICE, 1n),
      outcome: 'DENY',
      reasons: [{ code: 'RATE_LIMITED', limit: '0', spent: '0', requested: '1', remaining: '0' }],
    },
    {
      name: 'rate: not limited ignores the count',
      policy: simple,
      intent: solTo(ALICE, 1n),
      context: { txCountLastHour: 1_000_000 },
      outcome: 'ALLOW',
      reasons: [],
    },
    // Approval.
    {
      name: 'approval: every transfer without a threshold',
      policy: { ...simple, requiresApproval: true },
      intent: solTo(ALICE, 1n),
      outcome: 'REQUIRE_APPROVAL',
      reasons: [{ code: 'APPROVAL_REQUIRED', asset: null, threshold: null, requested: '1' }],
    },
    {
      name: 'approval: amount == threshold does not need approval',
      policy: { ...simple, requiresApproval: true, metadata: { approvalThreshold: '0.5' } },
      intent: solTo(ALICE, SOL / 2n),
      outcome: 'ALLOW',
      reasons: [],
    },
    {
      name: 'approval: threshold + 1 lamport needs approval',
      policy: { ...simple, requiresApproval: true, metadata: { approvalThreshold: '0.5' } },
      intent: solTo(ALICE, SOL / 2n + 1n),
      outcome: 'REQUIRE_APPROVAL',
      reasons: [
        { code: 'APPROVAL_REQUIRED', asset: null, threshold: '500000000', requested: '500000001' },
      ],
    },
    {
      name: 'approval: threshold 0 sends every transfer to approval',
      policy: { ...simple, requiresApproval: true, metadata: { approvalThreshold: '0' } },
      intent: solTo(ALICE, 1n),
      outcome: 'REQUIRE_APPROVAL',
      reasons: [{ code: 'APPROVAL_REQUIRED', asset: null, threshold: '0', requested: '1' }],
    },
    {
      name: 'approval: a SOL threshold cannot price tokens, so token transfers need approval',
      policy: {
        ...simple,
        allowedAssets: [USDC],
        requiresApproval: true,
        metadata: { approvalThreshold: '100' },
      },
      intent: { asset: USDC, amount: 1n, to: ALICE },
      outcome: 'REQUIRE_APPROVAL',
      reasons: [{ code: 'APPROVAL_REQUIRED', asset: USDC, threshold: null, requested: '1' }],
    },
    {
      name: 'approval: requiresApproval false',
      policy: { ...simple, requiresApproval: false },
      intent: solTo(ALICE, SOL),
      outcome: 'ALLOW',
      reasons: [],
    },
  ];

  function tokenCases(): Case[] {
    const policy: PolicyInput = {
      ...simple,
      allowedAssets: [USDC, BONK],
      metadata: { tokenLimits: { [USDC]: { perTx: '100', daily: '150', decimals: 6 } } },
    };
    const usdc = (amount: bigint): TransferIntent => ({ asset: USDC, amount, to: ALICE });
    return [
      {
        name: 'token per-tx: amount == limit',
        policy,
        intent: usdc(100_000_000n),
        outcome: 'ALLOW',
        reasons: [],
      },
      {
        name: 'token per-tx: limit + 1 base unit',
        policy,
        intent: usdc(100_000_001n),
        outcome: 'DENY',
        reasons: [
          {
            code: 'TOKEN_LIMIT_EXCEEDED',
            scope: 'PER_TX',
            asset: USDC,
            decimals: 6,
            limit: '100000000',
            requested: '100000001',
          },
        ],
      },
      {
        name: 'token daily: spent + amount == limit',
        policy,
        intent: usdc(50_000_000n),
        context: spent(0n, { [USDC]: 100_000_000n }),
        outcome: 'ALLOW',
        reasons: [],
      },
      {
        name: 'token daily: spent + amount == limit + 1',
        policy,
        intent: usdc(50_000_001n),
        context: spent(0n, { [USDC]: 100_000_000n }),
        outcome: 'DENY',
        reasons: [
          {
            code: 'TOKEN_LIMIT_EXCEEDED',
            scope: 'DAILY',
            asset: USDC,
            decimals: 6,
            window: 'ROLLING_24H',
            limit: '150000000',
            spent: '100000000',
            requested: '50000001',
            remaining: '50000000',
          },
        ],
      },
      {
        name: 'token: per-tx and daily both reported',
        policy,
        intent: usdc(120_000_000n),
        context: spent(0n, { [USDC]: 100_000_000n }),
        outcome: 'DENY',
        reasons: [
          {
            code: 'TOKEN_LIMIT_EXCEEDED',
            scope: 'PER_TX',
            asset: USDC,
            decimals: 6,
            limit: '100000000',
            requested: '120000000',
          },
          {
            code: 'TOKEN_LIMIT_EXCEEDED',
            scope: 'DAILY',
            asset: USDC,
            decimals: 6,
            window: 'ROLLING_24H',
            limit: '150000000',
            spent: '100000000',
            requested: '120000000',
            remaining: '50000000',
          },
        ],
      },
      {
        name: 'token: another mint’s spend does not count',
        policy,
        intent: usdc(100_000_000n),
        context: spent(5n * SOL, { [BONK]: 10n ** 15n }),
        outcome: 'ALLOW',
        reasons: [],
      },
      {
        name: 'token: a mint without limits is unlimited',
        policy,
        intent: { asset: BONK, amount: U64_MAX, to: ALICE },
        outcome: 'ALLOW',
        reasons: [],
      },
    ];
  }

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const decision = evaluate(
      c.policy === null ? null : assertPolicy(c.policy),
      c.intent,
      context(c.context),
    );
    expect(decision).toEqual({ outcome: c.outcome, reasons: c.reasons });
  });
});

describe('evaluate: combinations', () => {
  const strict = assertPolicy({
    perTxLimit: '1',
    dailyLimit: '2',
    allowedAssets: [USDC],
    allowedAddresses: [ALICE],
    requiresApproval: true,
    metadata: {
      tokenLimits: { [USDC]: { perTx: '10', daily: '20', decimals: 6 } },
      allowedPrograms: [SYSTEM_PROGRAM, TOKEN_PROGRAM],
      approvalThreshold: '0.5',
      maxTxPerHour: 3,
    },
  });

  it('reports every applicable reason in a stable order, approval included, and denies', () => {
    const decision = evaluate(
      strict,
      solTo(BOB, 3n * SOL, [ROGUE_PROGRAM]),
      context({ ...spent(SOL), txCountLastHour: 3 }),
    );
    expect(decision.outcome).toBe('DENY');
    expect(codes(decision)).toEqual([
      'PER_TX_LIMIT_EXCEEDED',
      'DAILY_LIMIT_EXCEEDED',
      'RECIPIENT_NOT_ALLOWED',
      'PROGRAM_NOT_ALLOWED',
      'RATE_LIMITED',
      'APPROVAL_REQUIRED',
    ]);
  });

  it('token transfer breaking every token rule', () => {
    const decision = evaluate(
      strict,
      { asset: USDC, amount: 30_000_000n, to: CAROL, programs: [TOKEN_PROGRAM, ROGUE_PROGRAM] },
      context({ ...spent(0n, { [USDC]: 1n }), txCountLastHour: 9 }),
    );
    expect(decision.outcome).toBe('DENY');
    expect(decision.reasons.map((r) => ('scope' in r ? `${r.code}:${r.scope}` : r.code))).toEqual([
      'TOKEN_LIMIT_EXCEEDED:PER_TX',
      'TOKEN_LIMIT_EXCEEDED:DAILY',
      'RECIPIENT_NOT_ALLOWED',
      'PROGRAM_NOT_ALLOWED',
      'RATE_LIMITED',
      'APPROVAL_REQUIRED',
    ]);
  });

  it('an unlisted asset plus an unlisted recipient', () => {
    const decision = evaluate(
      strict,
      { asset: BONK, amount: 1n, to: BOB, programs: [TOKEN_PROGRAM] },
      context(),
    );
    expect(codes(decision)).toEqual([
      'ASSET_NOT_ALLOWED',
      'RECIPIENT_NOT_ALLOWED',
      'APPROVAL_REQUIRED',
    ]);
    expect(decision.outcome).toBe('DENY');
  });

  it('within every limit but above the threshold needs approval only', () => {
    const decision = evaluate(
      strict,
      solTo(ALICE, SOL, [SYSTEM_PROGRAM]),
      context({ ...spent(SOL), txCountLastHour: 2 }),
    );
    expect(decision.outcome).toBe('REQUIRE_APPROVAL');
    expect(codes(decision)).toEqual(['APPROVAL_REQUIRED']);
  });

  it('within every limit and at the threshold is allowed', () => {
    const decision = evaluate(
      strict,
      solTo(ALICE, SOL / 2n, [SYSTEM_PROGRAM]),
      context({ ...spent(SOL + SOL / 2n), txCountLastHour: 2 }),
    );
    expect(decision).toEqual({ outcome: 'ALLOW', reasons: [] });
  });

  it('decisions survive JSON (strings for amounts) and every reason has a description', () => {
    const decision = evaluate(
      strict,
      solTo(BOB, 3n * SOL),
      context({ ...spent(SOL), txCountLastHour: 3 }),
    );
    expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
    for (const reason of decision.reasons) expect(describeReason(reason)).toMatch(/\w/);
  });
});

describe('evaluate: malformed intent or context denies instead of throwing', () => {
  const policy = assertPolicy({
    ...simple,
    allowedAssets: [USDC],
    metadata: { tokenLimits: { [USDC]: { daily: '5', decimals: 6 } }, maxTxPerHour: 5 },
  });
  const bad = <T>(value: unknown): T => value as T;

  it.each<[string, TransferIntent, Partial<EvaluationContext>, string[]]>([
    ['amount 0', solTo(ALICE, 0n), {}, ['INVALID_INTENT']],
    ['negative amount', solTo(ALICE, -1n), {}, ['INVALID_INTENT']],
    ['amount above u64', solTo(ALICE, U64_MAX + 1n), {}, ['INVALID_INTENT']],
    ['amount as a number', solTo(ALICE, bad<bigint>(1)), {}, ['INVALID_INTENT']],
    ['asset as a number', { asset: bad<string>(7), amount: 1n, to: ALICE }, {}, ['INVALID_INTENT']],
    ['to missing', { asset: null, amount: 1n, to: bad<string>(undefined) }, {}, ['INVALID_INTENT']],
    [
      'programs not an array',
      { asset: null, amount: 1n, to: ALICE, programs: bad<string[]>(SYSTEM_PROGRAM) },
      {},
      ['INVALID_INTENT'],
    ],
    [
      'programs with a non-string',
      { asset: null, amount: 1n, to: ALICE, programs: bad<string[]>([1]) },
      {},
      ['INVALID_INTENT'],
    ],
    ['invalid now', solTo(ALICE, 1n), { now: new Date('nope') }, ['INVALID_CONTEXT']],
    ['negative SOL spend', solTo(ALICE, 1n), spent(-1n), ['INVALID_CONTEXT']],
    ['SOL spend as a number', solTo(ALICE, 1n), spent(bad<bigint>(0)), ['INVALID_CONTEXT']],
    [
      'token spend as a string',
      { asset: USDC, amount: 1n, to: ALICE },
      spent(0n, bad<Record<string, bigint>>({ [USDC]: '0' })),
      ['INVALID_CONTEXT'],
    ],
    ['negative tx count', solTo(ALICE, 1n), { txCountLastHour: -1 }, ['INVALID_CONTEXT']],
    ['NaN tx count', solTo(ALICE, 1n), { txCountLastHour: Number.NaN }, ['INVALID_CONTEXT']],
  ])('%s', (_name, intent, ctx, expected) => {
    const decision = evaluate(policy, intent, context(ctx));
    expect(decision.outcome).toBe('DENY');
    expect(codes(decision)).toEqual(expected);
  });

  it('spentSince must not be after the window start (undercounting spend)', () => {
    for (const p of [
      assertPolicy(simple),
      assertPolicy({ ...simple, metadata: { dailyWindow: 'UTC_DAY' } }),
    ]) {
      const start = windowStart(p, NOW);
      expect(evaluate(p, solTo(ALICE, 1n), context({ spentSince: start })).outcome).toBe('ALLOW');
      expect(
        evaluate(p, solTo(ALICE, 1n), context({ spentSince: start.getTime() - 1 })).outcome,
      ).toBe('ALLOW');
      const late = evaluate(p, solTo(ALICE, 1n), context({ spentSince: start.getTime() + 1 }));
      expect(late).toEqual({
        outcome: 'DENY',
        reasons: [{ code: 'INVALID_CONTEXT', field: 'spentSince' }],
      });
    }
    // A rolling-window caller summing only today's UTC spend is caught.
    const rolling = assertPolicy(simple);
    const utcStart = windowStart(
      assertPolicy({ ...simple, metadata: { dailyWindow: 'UTC_DAY' } }),
      NOW,
    );
    expect(evaluate(rolling, solTo(ALICE, 1n), context({ spentSince: utcStart })).outcome).toBe(
      'DENY',
    );
  });
});

describe('describeReason', () => {
  it('describes every reason code', () => {
    const samples: Reason[] = [
      { code: 'NO_POLICY' },
      { code: 'INVALID_INTENT', field: 'amount' },
      { code: 'INVALID_CONTEXT', field: 'spentSince' },
      { code: 'ASSET_NOT_ALLOWED', asset: USDC },
      {
        code: 'PER_TX_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        limit: '1000000000',
        requested: '1500000000',
        fee: '0',
      },
      {
        code: 'DAILY_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        window: 'ROLLING_24H',
        limit: '2',
        spent: '1',
        requested: '2',
        fee: '0',
        remaining: '1',
      },
      {
        code: 'TOKEN_LIMIT_EXCEEDED',
        scope: 'PER_TX',
        asset: USDC,
        decimals: 6,
        limit: '1',
        requested: '2',
      },
      { code: 'RECIPIENT_NOT_ALLOWED', recipient: BOB },
      { code: 'PROGRAM_NOT_ALLOWED', program: null },
      { code: 'RATE_LIMITED', limit: '5', spent: '5', requested: '1', remaining: '0' },
      { code: 'OUTSIDE_TIME_WINDOW', timeZone: 'UTC', nextOpening: '2026-11-23T09:00:00.000Z' },
      { code: 'APPROVAL_REQUIRED', asset: null, threshold: '500000000', requested: '600000000' },
      {
        code: 'AGENT_KEY_CAP_EXCEEDED',
        asset: null,
        decimals: 9,
        limit: '1000000000',
        spent: '900000000',
        requested: '200000000',
        fee: '5000',
        remaining: '100000000',
      },
      {
        code: 'DELAY_REQUIRED',
        asset: null,
        threshold: '1000000000',
        requested: '2000000000',
        fee: '5000',
        delaySeconds: 3600,
      },
    ];
    expect(new Set(samples.map((s) => s.code))).toEqual(new Set(REASON_CODES));
    expect(describeReason(samples[4]!)).toBe('1.5 SOL exceeds the per-transaction limit of 1 SOL');
    expect(describeReason(samples[11]!)).toBe('0.6 SOL is above the approval threshold of 0.5 SOL');
    expect(describeReason(samples[12]!)).toBe(
      "0.2 SOL + 0.000005 SOL fee exceeds the 0.1 SOL left of this agent key's daily cap of 1 SOL",
    );
    for (const s of samples) expect(describeReason(s).length).toBeGreaterThan(10);
  });
});

describe('evaluate: properties', () => {
  const policies = arbitraryPolicyInput().map((input) => assertPolicy(input));
  const AMOUNT_CODES = new Set([
    'PER_TX_LIMIT_EXCEEDED',
    'DAILY_LIMIT_EXCEEDED',
    'TOKEN_LIMIT_EXCEEDED',
  ]);
  const limitKeys = (d: Decision): string[] =>
    d.reasons
      .filter((r) => AMOUNT_CODES.has(r.code))
      .map((r) => ('scope' in r ? `${r.code}:${r.scope}` : r.code));

  it('never throws on parsed input; outcome follows the reasons; JSON-safe', () => {
    fc.assert(
      fc.property(
        fc.option(policies, { nil: null }),
        arbitraryIntent(),
        arbitraryContext(),
        (policy, intent, ctx) => {
          const decision = evaluate(policy, intent, ctx);
          const denies = decision.reasons.some(
            (r) => r.code !== 'APPROVAL_REQUIRED' && r.code !== 'DELAY_REQUIRED',
          );
          const approval = decision.reasons.some((r) => r.code === 'APPROVAL_REQUIRED');
          expect(decision.outcome).toBe(denies ? 'DENY' : approval ? 'REQUIRE_APPROVAL' : 'ALLOW');
          expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
          for (const r of decision.reasons) expect(REASON_CODES).toContain(r.code);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('limit rules are monotone in the amount: denied at x ⇒ denied at every y > x', () => {
    fc.assert(
      fc.property(
        policies,
        arbitraryIntent(),
        arbitraryContext(),
        arbitraryAmount(),
        (policy, intent, ctx, extra) => {
          const y = intent.amount + extra > U64_MAX ? U64_MAX : intent.amount + extra;
          const atX = limitKeys(evaluate(policy, intent, ctx));
          const atY = limitKeys(evaluate(policy, { ...intent, amount: y }, ctx));
          for (const key of atX) expect(atY).toContain(key);
          if (evaluate(policy, intent, ctx).outcome === 'DENY')
            expect(evaluate(policy, { ...intent, amount: y }, ctx).outcome).toBe('DENY');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('daily limits are monotone in the spend already counted', () => {
    fc.assert(
      fc.property(
        policies,
        arbitraryIntent(),
        arbitraryContext(),
        fc.bigInt({ min: 1n, max: 10n ** 13n }),
        (policy, intent, ctx, more) => {
          const grown: EvaluationContext = {
            ...ctx,
            spentInWindow: {
              sol: ctx.spentInWindow.sol + more,
              tokens: Object.fromEntries(
                [USDC, BONK].map((m) => [m, (ctx.spentInWindow.tokens[m] ?? 0n) + more]),
              ),
            },
          };
          const before = limitKeys(evaluate(policy, intent, ctx)).filter(
            (k) => !k.endsWith('PER_TX') && k !== 'PER_TX_LIMIT_EXCEEDED',
          );
          const after = limitKeys(evaluate(policy, intent, grown));
          for (const key of before) expect(after).toContain(key);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('approval threshold boundary: amount > threshold needs approval, amount <= threshold does not', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n * SOL }),
        fc.bigInt({ min: -3n, max: 3n }),
        (threshold, delta) => {
          const amount = threshold + delta;
          fc.pre(amount > 0n);
          const whole = threshold / SOL;
          const frac = (threshold % SOL).toString().padStart(9, '0');
          const policy = assertPolicy({
            perTxLimit: '100',
            dailyLimit: '100',
            requiresApproval: true,
            metadata: { approvalThreshold: `${whole}.${frac}` },
          });
          const decision = evaluate(policy, solTo(ALICE, amount), context());
          expect(decision.outcome).toBe(amount > threshold ? 'REQUIRE_APPROVAL' : 'ALLOW');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: same inputs (even rebuilt from scratch) give the same decision', () => {
    fc.assert(
      fc.property(
        arbitraryPolicyInput(),
        arbitraryIntent(),
        arbitraryContext(),
        (input, intent, ctx) => {
          const first = evaluate(assertPolicy(input), intent, ctx);
          const again = evaluate(
            assertPolicy(structuredClone(input)),
            structuredClone(intent),
            structuredClone(ctx),
          );
          expect(again).toEqual(first);
          expect(JSON.stringify(again)).toBe(JSON.stringify(first));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('evaluate: network fees count toward the SOL limits', () => {
  const FEE = 5_000n;
  const policy = assertPolicy({ perTxLimit: '1', dailyLimit: '2', allowedAssets: [USDC] });

  it('allows amount + fee == perTxLimit and denies one lamport more, with the figures', () => {
    expect(
      evaluate(policy, { asset: null, amount: SOL - FEE, fee: FEE, to: ALICE }, context()),
    ).toEqual({ outcome: 'ALLOW', reasons: [] });
    expect(
      evaluate(policy, { asset: null, amount: SOL, fee: FEE, to: ALICE }, context()).reasons,
    ).toEqual([
      {
        code: 'PER_TX_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        limit: '1000000000',
        requested: '1000000000',
        fee: '5000',
      },
    ]);
  });

  it('counts the fee against what is left of the daily limit', () => {
    const ctx = context(spent(SOL + SOL / 2n));
    expect(
      evaluate(policy, { asset: null, amount: SOL / 2n - FEE, fee: FEE, to: ALICE }, ctx).outcome,
    ).toBe('ALLOW');
    expect(
      evaluate(policy, { asset: null, amount: SOL / 2n, fee: FEE, to: ALICE }, ctx).reasons,
    ).toEqual([
      {
        code: 'DAILY_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        window: 'ROLLING_24H',
        limit: '2000000000',
        spent: '1500000000',
        requested: '500000000',
        fee: '5000',
        remaining: '500000000',
      },
    ]);
  });

  it('a token transfer pays its fee in SOL: denied once the SOL daily limit is used up', () => {
    const intent: TransferIntent = { asset: USDC, amount: 1n, fee: FEE, to: ALICE };
    expect(evaluate(policy, intent, context(spent(2n * SOL - FEE))).outcome).toBe('ALLOW');
    const denied = evaluate(policy, intent, context(spent(2n * SOL - FEE + 1n)));
    expect(denied.reasons).toEqual([
      expect.objectContaining({ code: 'DAILY_LIMIT_EXCEEDED', requested: '0', fee: '5000' }),
    ]);
    expect(describeReason(denied.reasons[0]!)).toBe(
      '0 SOL + 0.000005 SOL fee exceeds the 0.000004999 SOL left of the daily limit of 2 SOL',
    );
  });

  it('refuses a fee that is not a bigint in 0..u64::MAX', () => {
    for (const fee of [-1n, U64_MAX + 1n, 5000 as unknown as bigint]) {
      expect(
        evaluate(policy, { asset: null, amount: 1n, fee, to: ALICE }, context()).reasons,
      ).toContainEqual({ code: 'INVALID_INTENT', field: 'fee' });
    }
  });
});

describe('evaluate: the delay tier', () => {
  const policy = assertPolicy({
    perTxLimit: '5',
    dailyLimit: '10',
    metadata: { delayThreshold: '1', delaySeconds: 600 },
  });
  const sol = (amount: bigint, fee = 0n): TransferIntent => ({
    asset: null,
    amount,
    to: ALICE,
    fee,
  });

  it('delays (ALLOW with DELAY_REQUIRED) only a SOL cost above the threshold, fee included', () => {
    expect(evaluate(policy, sol(SOL), context())).toEqual({ outcome: 'ALLOW', reasons: [] });
    const above = evaluate(policy, sol(SOL, 5_000n), context());
    expect(above.outcome).toBe('ALLOW');
    expect(above.reasons).toEqual([
      {
        code: 'DELAY_REQUIRED',
        asset: null,
        threshold: '1000000000',
        requested: '1000000000',
        fee: '5000',
        delaySeconds: 600,
      },
    ]);
    expect(delayOf(above)?.delaySeconds).toBe(600);
    expect(delayOf(evaluate(policy, sol(SOL), context()))).toBeUndefined();
  });

  it('never turns a denial into a delay, and composes with approval', () => {
    const denied = evaluate(policy, sol(6n * SOL), context());
    expect(denied.outcome).toBe('DENY');
    const both = evaluate(
      assertPolicy({
        perTxLimit: '5',
        dailyLimit: '10',
        requiresApproval: true,
        metadata: { delayThreshold: '1', delaySeconds: 600 },
      }),
      sol(2n * SOL),
      context(),
    );
    expect(both.outcome).toBe('REQUIRE_APPROVAL');
    expect(both.reasons.map((r) => r.code)).toEqual(['APPROVAL_REQUIRED', 'DELAY_REQUIRED']);
  });

  it('parsePolicy wants threshold and seconds together, seconds in 1..7 days', () => {
    const issues = (metadata: Record<string, unknown>) => {
      const r = parsePolicy({ perTxLimit: '1', dailyLimit: '1', metadata });
      return r.ok ? [] : r.issues.map((i) => `${i.path}:${i.code}`);
    };
    expect(issues({ delayThreshold: '1' })).toEqual(['metadata.delaySeconds:DELAY_INCOMPLETE']);
    expect(issues({ delaySeconds: 5 })).toEqual(['metadata.delayThreshold:DELAY_INCOMPLETE']);
    expect(issues({ delayThreshold: '1', delaySeconds: 0 })).toEqual([
      'metadata.delaySeconds:INVALID_INTEGER',
    ]);
    expect(issues({ delayThreshold: '1', delaySeconds: 604_801 })).toEqual([
      'metadata.delaySeconds:INVALID_INTEGER',
    ]);
    expect(issues({ delayThreshold: 1, delaySeconds: 5 })).toEqual([
      'metadata.delayThreshold:INVALID_TYPE',
    ]);
    expect(serializePolicy(policy).metadata).toMatchObject({
      delayThreshold: '1',
      delaySeconds: 600,
    });
  });
});

describe("evaluate: an agent key's daily cap", () => {
  const policy = assertPolicy({ perTxLimit: '5', dailyLimit: '10' });
  const intent: TransferIntent = { asset: null, amount: SOL, to: ALICE, fee: 5_000n };

  it('denies above the cap while the wallet allows, and the stricter wins', () => {
    const keyCap = { limit: 2n * SOL, spent: SOL };
    const denied = evaluate(policy, intent, context({ keyCap }));
    expect(denied).toEqual({
      outcome: 'DENY',
      reasons: [
        {
          code: 'AGENT_KEY_CAP_EXCEEDED',
          asset: null,
          decimals: 9,
          limit: '2000000000',
          spent: '1000000000',
          requested: '1000000000',
          fee: '5000',
          remaining: '1000000000',
        },
      ],
    });
    // Exactly at the cap is allowed.
    expect(
      evaluate(policy, intent, context({ keyCap: { limit: 2n * SOL, spent: SOL - 5_000n } }))
        .outcome,
    ).toBe('ALLOW');
    // A generous key cap does not lift the wallet's limit.
    const wallet = evaluate(
      policy,
      intent,
      context({
        keyCap: { limit: 100n * SOL, spent: 0n },
        spentInWindow: { sol: 10n * SOL, tokens: {} },
      }),
    );
    expect(wallet.reasons.map((r) => r.code)).toEqual(['DAILY_LIMIT_EXCEEDED']);
  });

  it('property: with a cap, ALLOW implies spent + cost <= cap', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 20n * SOL }),
        fc.bigInt({ min: 0n, max: 20n * SOL }),
        fc.bigInt({ min: 1n, max: 6n * SOL }),
        (limit, spentByKey, amount) => {
          const d = evaluate(
            policy,
            { ...intent, amount },
            context({ keyCap: { limit, spent: spentByKey } }),
          );
          const over = spentByKey + amount + 5_000n > limit;
          expect(d.reasons.some((r) => r.code === 'AGENT_KEY_CAP_EXCEEDED')).toBe(over);
          if (d.outcome === 'ALLOW') expect(spentByKey + amount + 5_000n <= limit).toBe(true);
        },
      ),
    );
  });
});
