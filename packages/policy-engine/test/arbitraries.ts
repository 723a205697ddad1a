// fast-check generators shared by the unit tests' properties.
import fc from 'fast-check';

import type { EvaluationContext, TransferIntent } from '../src/index.js';
import {
  ALICE,
  BOB,
  BONK,
  CAROL,
  ROGUE_PROGRAM,
  SYSTEM_PROGRAM,
  TOKEN_PROGRAM,
  USDC,
} from './fixtures.js';

/** Valid policy inputs covering every rule (used by the round-trip property). */
export function arbitraryPolicyInput(): fc.Arbitrary<Record<string, unknown>> {
  const sol = fc.bigInt({ min: 0n, max: 50_000_000_000n }).map((l) => {
    const s = l.toString().padStart(10, '0');
    return `${BigInt(s.slice(0, -9)).toString()}.${s.slice(-9)}`;
  });
  const mints = fc.subarray([USDC, BONK]);
  return fc
    .record({
      perTxLimit: sol,
      dailyLimit: sol,
      allowedAssets: mints,
      allowedAddresses: fc.subarray([ALICE, BOB]),
      requiresApproval: fc.boolean(),
      threshold: fc.option(sol, { nil: undefined }),
      limitedMints: fc.subarray([0, 1]),
      perTx: fc.option(fc.bigInt({ min: 0n, max: 10n ** 12n }), { nil: undefined }),
      daily: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      decimals: fc.integer({ min: 0, max: 9 }),
      programs: fc.option(fc.subarray([SYSTEM_PROGRAM, TOKEN_PROGRAM], { minLength: 1 }), {
        nil: undefined,
      }),
      maxTxPerHour: fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
      dailyWindow: fc.option(fc.constantFrom('ROLLING_24H', 'UTC_DAY'), { nil: undefined }),
      delay: fc.option(
        fc.record({ threshold: sol, seconds: fc.integer({ min: 1, max: 86_400 }) }),
        {
          nil: undefined,
        },
      ),
    })
    .map((r) => {
      const metadata: Record<string, unknown> = {};
      const tokenLimits: Record<string, unknown> = {};
      for (const i of r.limitedMints) {
        const mint = r.allowedAssets[i];
        if (mint === undefined) continue;
        const fmt = (v: bigint): string =>
          r.decimals === 0
            ? v.toString()
            : `${v / 10n ** BigInt(r.decimals)}.${(v % 10n ** BigInt(r.decimals)).toString().padStart(r.decimals, '0')}`;
        tokenLimits[mint] = {
          ...(r.perTx === undefined ? {} : { perTx: fmt(r.perTx) }),
          daily: fmt(r.daily),
          decimals: r.decimals,
        };
      }
      if (Object.keys(tokenLimits).length > 0) metadata.tokenLimits = tokenLimits;
      if (r.requiresApproval && r.threshold !== undefined) metadata.approvalThreshold = r.threshold;
      if (r.programs !== undefined) metadata.allowedPrograms = r.programs;
      if (r.maxTxPerHour !== undefined) metadata.maxTxPerHour = r.maxTxPerHour;
      if (r.dailyWindow !== undefined) metadata.dailyWindow = r.dailyWindow;
      if (r.delay !== undefined) {
        metadata.delayThreshold = r.delay.threshold;
        metadata.delaySeconds = r.delay.seconds;
      }
      return {
        perTxLimit: r.perTxLimit,
        dailyLimit: r.dailyLimit,
        allowedAssets: r.allowedAssets,
        allowedAddresses: r.allowedAddresses,
        requiresApproval: r.requiresApproval,
        metadata,
      };
    });
}

/** Amounts that straddle the generated limits, plus the u64 edges. */
export function arbitraryAmount(): fc.Arbitrary<bigint> {
  return fc.oneof(
    fc.bigInt({ min: 1n, max: 60_000_000_000n }),
    fc.bigInt({ min: 1n, max: 18_446_744_073_709_551_615n }),
    fc.constant(18_446_744_073_709_551_615n),
  );
}

/** Transfer intents over the fixtures' assets, recipients and programs. */
export function arbitraryIntent(): fc.Arbitrary<TransferIntent> {
  return fc.record(
    {
      asset: fc.constantFrom(null, USDC, BONK),
      amount: arbitraryAmount(),
      to: fc.constantFrom(ALICE, BOB, CAROL),
      programs: fc.subarray([SYSTEM_PROGRAM, TOKEN_PROGRAM, ROGUE_PROGRAM]),
    },
    { requiredKeys: ['asset', 'amount', 'to'] },
  );
}

/** Evaluation contexts with spend around the generated limits. */
export function arbitraryContext(): fc.Arbitrary<EvaluationContext> {
  return fc.record({
    now: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    spentInWindow: fc.record({
      sol: fc.bigInt({ min: 0n, max: 60_000_000_000n }),
      tokens: fc.record(
        {
          [USDC]: fc.bigInt({ min: 0n, max: 10n ** 13n }),
          [BONK]: fc.bigInt({ min: 0n, max: 10n ** 13n }),
        },
        { requiredKeys: [] },
      ),
    }),
    txCountLastHour: fc.nat({ max: 1100 }),
  });
}
