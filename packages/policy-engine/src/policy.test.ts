import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { arbitraryPolicyInput } from '../test/arbitraries.js';
import { ALICE, BOB, BONK, SYSTEM_PROGRAM, TOKEN_PROGRAM, USDC } from '../test/fixtures.js';
import { isPolicyEngineError } from './errors.js';
import type { PolicyIssueCode } from './issues.js';
import { assertPolicy, parsePolicy, type Policy, serializePolicy } from './policy.js';

const base = { perTxLimit: '1', dailyLimit: '10' };

function issuesOf(input: unknown): { path: string; code: PolicyIssueCode }[] {
  const result = parsePolicy(input);
  if (result.ok) return [];
  return result.issues.map(({ path, code }) => ({ path, code }));
}

describe('parsePolicy: accepted policies', () => {
  it('normalises a minimal policy with the documented defaults', () => {
    const result = parsePolicy(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const p = result.policy;
    expect(p.perTxLimit).toBe(1_000_000_000n);
    expect(p.dailyLimit).toBe(10_000_000_000n);
    expect([...p.allowedAssets]).toEqual([]);
    expect([...p.allowedAddresses]).toEqual([]);
    expect(p.requiresApproval).toBe(false);
    expect(p.approvalThreshold).toBeNull();
    expect(p.tokenLimits.size).toBe(0);
    expect(p.allowedPrograms).toBeNull();
    expect(p.maxTxPerHour).toBeNull();
    expect(p.dailyWindow).toBe('ROLLING_24H');
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('normalises every rule of a full policy to base units', () => {
    const p = assertPolicy({
      perTxLimit: '0.5',
      dailyLimit: '0',
      allowedAssets: [USDC, BONK],
      allowedAddresses: [ALICE],
      requiresApproval: true,
      metadata: {
        tokenLimits: {
          [USDC]: { perTx: '100.5', daily: '1000', decimals: 6 },
          [BONK]: { daily: '7', decimals: 5 },
        },
        allowedPrograms: [SYSTEM_PROGRAM, TOKEN_PROGRAM],
        approvalThreshold: '0.25',
        maxTxPerHour: 0,
        dailyWindow: 'UTC_DAY',
      },
    });
    expect(p.perTxLimit).toBe(500_000_000n);
    expect(p.dailyLimit).toBe(0n);
    expect(p.allowedAssets.has(USDC) && p.allowedAssets.has(BONK)).toBe(true);
    expect(p.allowedAddresses.has(ALICE)).toBe(true);
    expect(p.tokenLimits.get(USDC)).toEqual({
      perTx: 100_500_000n,
      daily: 1_000_000_000n,
      decimals: 6,
    });
    expect(p.tokenLimits.get(BONK)).toEqual({ perTx: null, daily: 700_000n, decimals: 5 });
    expect(p.allowedPrograms && [...p.allowedPrograms]).toEqual([SYSTEM_PROGRAM, TOKEN_PROGRAM]);
    expect(p.approvalThreshold).toBe(250_000_000n);
    expect(p.maxTxPerHour).toBe(0);
    expect(p.dailyWindow).toBe('UTC_DAY');
  });

  it('accepts u64::MAX lamports as a limit and requiresApproval without threshold', () => {
    const p = assertPolicy({
      perTxLimit: '18446744073.709551615',
      dailyLimit: '18446744073.709551615',
      requiresApproval: true,
    });
    expect(p.perTxLimit).toBe(18_446_744_073_709_551_615n);
    expect(p.requiresApproval).toBe(true);
  });
});

describe('parsePolicy: rejected policies (stable codes and paths)', () => {
  it.each<[string, unknown, { path: string; code: PolicyIssueCode }[]]>([
    ['not an object', 'policy', [{ path: '', code: 'INVALID_TYPE' }]],
    ['null', null, [{ path: '', code: 'INVALID_TYPE' }]],
    ['an array', [], [{ path: '', code: 'INVALID_TYPE' }]],
    [
      'missing limits',
      {},
      [
        { path: 'perTxLimit', code: 'REQUIRED' },
        { path: 'dailyLimit', code: 'REQUIRED' },
      ],
    ],
    [
      'limit as a number',
      { ...base, perTxLimit: 1 },
      [{ path: 'perTxLimit', code: 'INVALID_TYPE' }],
    ],
    [
      'negative limit',
      { ...base, dailyLimit: '-1' },
      [{ path: 'dailyLimit', code: 'AMOUNT_SIGN' }],
    ],
    [
      'exponent limit',
      { ...base, dailyLimit: '1e3' },
      [{ path: 'dailyLimit', code: 'AMOUNT_EXPONENT' }],
    ],
    [
      'malformed limit',
      { ...base, perTxLimit: '1.' },
      [{ path: 'perTxLimit', code: 'AMOUNT_MALFORMED' }],
    ],
    [
      'whitespace in limit',
      { ...base, perTxLimit: ' 1' },
      [{ path: 'perTxLimit', code: 'AMOUNT_WHITESPACE' }],
    ],
    [
      '10 SOL fraction digits',
      { ...base, perTxLimit: '0.0000000001' },
      [{ path: 'perTxLimit', code: 'AMOUNT_TOO_MANY_DECIMALS' }],
    ],
    [
      'limit above u64 lamports',
      { ...base, dailyLimit: '18446744073.709551616' },
      [{ path: 'dailyLimit', code: 'AMOUNT_ABOVE_U64_MAX' }],
    ],
    [
      'unknown top-level key',
      { ...base, perTxLimt: '1' },
      [{ path: 'perTxLimt', code: 'UNKNOWN_KEY' }],
    ],
    [
      'unknown metadata key (typo)',
      { ...base, metadata: { maxTxPerHr: 5 } },
      [{ path: 'metadata.maxTxPerHr', code: 'UNKNOWN_KEY' }],
    ],
    [
      '__proto__ key',
      JSON.parse('{"perTxLimit":"1","dailyLimit":"1","__proto__":{"x":1}}'),
      [{ path: '__proto__', code: 'UNKNOWN_KEY' }],
    ],
    ['metadata null', { ...base, metadata: null }, [{ path: 'metadata', code: 'INVALID_TYPE' }]],
    ['metadata array', { ...base, metadata: [] }, [{ path: 'metadata', code: 'INVALID_TYPE' }]],
    [
      'allowedAssets not an array',
      { ...base, allowedAssets: USDC },
      [{ path: 'allowedAssets', code: 'INVALID_TYPE' }],
    ],
    [
      'allowedAssets null',
      { ...base, allowedAssets: null },
      [{ path: 'allowedAssets', code: 'INVALID_TYPE' }],
    ],
    [
      'invalid address',
      { ...base, allowedAddresses: [ALICE, 'not-an-address'] },
      [{ path: 'allowedAddresses[1]', code: 'INVALID_ADDRESS' }],
    ],
    [
      'address with 0OIl',
      { ...base, allowedAddresses: ['0OIl' + ALICE.slice(4)] },
      [{ path: 'allowedAddresses[0]', code: 'INVALID_ADDRESS' }],
    ],
    [
      'address with whitespace',
      { ...base, allowedAddresses: [` ${ALICE}`] },
      [{ path: 'allowedAddresses[0]', code: 'INVALID_ADDRESS' }],
    ],
    [
      'non-string address',
      { ...base, allowedAddresses: [42] },
      [{ path: 'allowedAddresses[0]', code: 'INVALID_TYPE' }],
    ],
    [
      'duplicate address',
      { ...base, allowedAddresses: [ALICE, BOB, ALICE] },
      [{ path: 'allowedAddresses[2]', code: 'DUPLICATE_ADDRESS' }],
    ],
    [
      'duplicate asset',
      { ...base, allowedAssets: [USDC, USDC] },
      [{ path: 'allowedAssets[1]', code: 'DUPLICATE_ADDRESS' }],
    ],
    [
      'requiresApproval as a string',
      { ...base, requiresApproval: 'true' },
      [{ path: 'requiresApproval', code: 'INVALID_TYPE' }],
    ],
    [
      'threshold without approval',
      { ...base, metadata: { approvalThreshold: '1' } },
      [{ path: 'metadata.approvalThreshold', code: 'APPROVAL_THRESHOLD_WITHOUT_APPROVAL' }],
    ],
    [
      'threshold with approval false',
      { ...base, requiresApproval: false, metadata: { approvalThreshold: '1' } },
      [{ path: 'metadata.approvalThreshold', code: 'APPROVAL_THRESHOLD_WITHOUT_APPROVAL' }],
    ],
    [
      'malformed threshold',
      { ...base, requiresApproval: true, metadata: { approvalThreshold: '1e2' } },
      [{ path: 'metadata.approvalThreshold', code: 'AMOUNT_EXPONENT' }],
    ],
    [
      'maxTxPerHour negative',
      { ...base, metadata: { maxTxPerHour: -1 } },
      [{ path: 'metadata.maxTxPerHour', code: 'INVALID_INTEGER' }],
    ],
    [
      'maxTxPerHour fractional',
      { ...base, metadata: { maxTxPerHour: 1.5 } },
      [{ path: 'metadata.maxTxPerHour', code: 'INVALID_INTEGER' }],
    ],
    [
      'maxTxPerHour NaN',
      { ...base, metadata: { maxTxPerHour: Number.NaN } },
      [{ path: 'metadata.maxTxPerHour', code: 'INVALID_INTEGER' }],
    ],
    [
      'maxTxPerHour string',
      { ...base, metadata: { maxTxPerHour: '5' } },
      [{ path: 'metadata.maxTxPerHour', code: 'INVALID_TYPE' }],
    ],
    [
      'dailyWindow unknown',
      { ...base, metadata: { dailyWindow: 'WEEKLY' } },
      [{ path: 'metadata.dailyWindow', code: 'INVALID_ENUM' }],
    ],
    [
      'dailyWindow lower case',
      { ...base, metadata: { dailyWindow: 'utc_day' } },
      [{ path: 'metadata.dailyWindow', code: 'INVALID_ENUM' }],
    ],
    [
      'dailyWindow number',
      { ...base, metadata: { dailyWindow: 1 } },
      [{ path: 'metadata.dailyWindow', code: 'INVALID_TYPE' }],
    ],
    [
      'empty allowedPrograms',
      { ...base, metadata: { allowedPrograms: [] } },
      [{ path: 'metadata.allowedPrograms', code: 'EMPTY_ALLOWLIST' }],
    ],
    [
      'invalid program',
      { ...base, metadata: { allowedPrograms: ['system'] } },
      [{ path: 'metadata.allowedPrograms[0]', code: 'INVALID_ADDRESS' }],
    ],
    [
      'duplicate program',
      { ...base, metadata: { allowedPrograms: [SYSTEM_PROGRAM, SYSTEM_PROGRAM] } },
      [{ path: 'metadata.allowedPrograms[1]', code: 'DUPLICATE_ADDRESS' }],
    ],
    [
      'tokenLimits for a mint not in allowedAssets',
      { ...base, metadata: { tokenLimits: { [USDC]: { perTx: '1', decimals: 6 } } } },
      [{ path: `metadata.tokenLimits.${USDC}`, code: 'TOKEN_LIMIT_ASSET_NOT_ALLOWED' }],
    ],
    [
      'tokenLimits with an invalid mint',
      { ...base, metadata: { tokenLimits: { usdc: { perTx: '1', decimals: 6 } } } },
      [{ path: 'metadata.tokenLimits.usdc', code: 'INVALID_ADDRESS' }],
    ],
    [
      'tokenLimits not an object',
      { ...base, allowedAssets: [USDC], metadata: { tokenLimits: [] } },
      [{ path: 'metadata.tokenLimits', code: 'INVALID_TYPE' }],
    ],
    [
      'tokenLimits entry not an object',
      { ...base, allowedAssets: [USDC], metadata: { tokenLimits: { [USDC]: '5' } } },
      [{ path: `metadata.tokenLimits.${USDC}`, code: 'INVALID_TYPE' }],
    ],
    [
      'tokenLimits without decimals',
      { ...base, allowedAssets: [USDC], metadata: { tokenLimits: { [USDC]: { perTx: '1' } } } },
      [{ path: `metadata.tokenLimits.${USDC}.decimals`, code: 'REQUIRED' }],
    ],
    [
      'tokenLimits decimals 256',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { perTx: '1', decimals: 256 } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.decimals`, code: 'INVALID_DECIMALS' }],
    ],
    [
      'tokenLimits decimals as string',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { perTx: '1', decimals: '6' } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.decimals`, code: 'INVALID_DECIMALS' }],
    ],
    [
      'tokenLimits with neither limit',
      { ...base, allowedAssets: [USDC], metadata: { tokenLimits: { [USDC]: { decimals: 6 } } } },
      [{ path: `metadata.tokenLimits.${USDC}`, code: 'TOKEN_LIMIT_EMPTY' }],
    ],
    [
      'tokenLimits unknown key (typo)',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { perTx: '1', dialy: '5', decimals: 6 } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.dialy`, code: 'UNKNOWN_KEY' }],
    ],
    [
      'tokenLimits too many decimals for the mint',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { perTx: '0.0000001', decimals: 6 } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.perTx`, code: 'AMOUNT_TOO_MANY_DECIMALS' }],
    ],
    [
      'tokenLimits above u64 for the mint',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { daily: '18446744073709.551616', decimals: 6 } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.daily`, code: 'AMOUNT_ABOVE_U64_MAX' }],
    ],
    [
      'tokenLimits limit as number',
      {
        ...base,
        allowedAssets: [USDC],
        metadata: { tokenLimits: { [USDC]: { daily: 5, decimals: 6 } } },
      },
      [{ path: `metadata.tokenLimits.${USDC}.daily`, code: 'INVALID_TYPE' }],
    ],
  ])('%s', (_name, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });

  it('reports every issue at once, not just the first', () => {
    const codes = issuesOf({
      perTxLimit: '-1',
      dailyLimit: '1e9',
      allowedAddresses: ['bad'],
      extra: true,
      metadata: { approvalThreshold: '1', tokenLimit: {}, maxTxPerHour: -2 },
    }).map((i) => i.code);
    expect(codes.sort()).toEqual(
      [
        'AMOUNT_SIGN',
        'AMOUNT_EXPONENT',
        'INVALID_ADDRESS',
        'UNKNOWN_KEY',
        'UNKNOWN_KEY',
        'APPROVAL_THRESHOLD_WITHOUT_APPROVAL',
        'INVALID_INTEGER',
      ].sort(),
    );
  });

  it('every issue carries a message', () => {
    const result = parsePolicy({ perTxLimit: 'x', dailyLimit: '1', oops: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok)
      for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('assertPolicy throws INVALID_POLICY with the issues as context', () => {
    let caught: unknown;
    try {
      assertPolicy({ perTxLimit: '1' });
    } catch (e) {
      caught = e;
    }
    expect(isPolicyEngineError(caught, 'INVALID_POLICY')).toBe(true);
    if (isPolicyEngineError(caught, 'INVALID_POLICY')) {
      expect(caught.context.issues.map((i) => i.code)).toEqual(['REQUIRED']);
      expect(caught.message).toContain('dailyLimit');
    }
    expect(isPolicyEngineError(caught, 'AMOUNT_ZERO')).toBe(false);
  });
});

describe('serializePolicy', () => {
  it('writes the canonical wire shape', () => {
    const p = assertPolicy({
      perTxLimit: '1.50',
      dailyLimit: '3.000000000',
      allowedAssets: [USDC],
      requiresApproval: true,
      metadata: {
        tokenLimits: { [USDC]: { perTx: '2.500', decimals: 6 } },
        approvalThreshold: '0.10',
        maxTxPerHour: 7,
      },
    });
    expect(serializePolicy(p)).toEqual({
      perTxLimit: '1.5',
      dailyLimit: '3',
      allowedAssets: [USDC],
      allowedAddresses: [],
      requiresApproval: true,
      metadata: {
        tokenLimits: { [USDC]: { perTx: '2.5', decimals: 6 } },
        approvalThreshold: '0.1',
        maxTxPerHour: 7,
        dailyWindow: 'ROLLING_24H',
      },
    });
  });

  it('serialised output is JSON-safe and parses back to an equal policy (property)', () => {
    fc.assert(
      fc.property(arbitraryPolicyInput(), (input) => {
        const first = assertPolicy(input);
        const wire = serializePolicy(first);
        const json = JSON.parse(JSON.stringify(wire)) as unknown;
        const second = assertPolicy(json);
        expect(policyShape(second)).toEqual(policyShape(first));
        expect(serializePolicy(second)).toEqual(wire);
      }),
      { numRuns: 300 },
    );
  });
});

function policyShape(p: Policy): unknown {
  return {
    ...p,
    allowedAssets: [...p.allowedAssets],
    allowedAddresses: [...p.allowedAddresses],
    tokenLimits: [...p.tokenLimits],
    allowedPrograms: p.allowedPrograms && [...p.allowedPrograms],
  };
}
