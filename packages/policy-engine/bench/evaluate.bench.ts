// Evaluations per second for a typical policy, on the ALLOW path and on a DENY path that
// reports several reasons. Run with `pnpm --filter @waiaas/policy-engine bench` (pinned to
// core 0 with taskset). Each tinybench iteration runs a batch of evaluations so that the
// timer's own cost (≈ the cost of one evaluation) does not dominate the figure.

import { Bench } from 'tinybench';

import {
  assertPolicy,
  type Decision,
  evaluate,
  type EvaluationContext,
  type TransferIntent,
} from '../src/index.js';

const BATCH = 1_000;

const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const OTHER = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const ROGUE_PROGRAM = 'BPFLoaderUpgradeab1e11111111111111111111111';

// A typical policy: SOL limits, one allowed token with limits, a recipient allowlist, a
// program allowlist, a rate limit and an approval threshold.
const policy = assertPolicy({
  perTxLimit: '1',
  dailyLimit: '10',
  allowedAssets: [USDC],
  allowedAddresses: [RECIPIENT, '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV'],
  requiresApproval: true,
  metadata: {
    tokenLimits: { [USDC]: { perTx: '100', daily: '1000', decimals: 6 } },
    allowedPrograms: [SYSTEM_PROGRAM, TOKEN_PROGRAM],
    approvalThreshold: '5',
    maxTxPerHour: 60,
    dailyWindow: 'ROLLING_24H',
  },
});

const context: EvaluationContext = {
  now: Date.UTC(2026, 10, 22, 4, 0, 0),
  spentInWindow: { sol: 2_000_000_000n, tokens: { [USDC]: 50_000_000n } },
  txCountLastHour: 3,
};

const allowSol: TransferIntent = {
  asset: null,
  amount: 250_000_000n,
  to: RECIPIENT,
  programs: [SYSTEM_PROGRAM],
};
const allowToken: TransferIntent = {
  asset: USDC,
  amount: 10_000_000n,
  to: RECIPIENT,
  programs: [TOKEN_PROGRAM],
};
const denySeveral: TransferIntent = {
  asset: null,
  amount: 9_000_000_000n,
  to: OTHER,
  programs: [SYSTEM_PROGRAM, ROGUE_PROGRAM],
};
const denyContext: EvaluationContext = { ...context, txCountLastHour: 60 };

// Check the scenarios are what their names say before timing them.
function expectOutcome(decision: Decision, outcome: Decision['outcome'], reasons: number): void {
  if (decision.outcome !== outcome || decision.reasons.length !== reasons) {
    throw new Error(`benchmark scenario is wrong: ${JSON.stringify(decision)}`);
  }
}
const policyNoApproval = assertPolicy({
  ...{ perTxLimit: '1', dailyLimit: '10', allowedAssets: [USDC], allowedAddresses: [RECIPIENT] },
  metadata: {
    tokenLimits: { [USDC]: { perTx: '100', daily: '1000', decimals: 6 } },
    allowedPrograms: [SYSTEM_PROGRAM, TOKEN_PROGRAM],
    maxTxPerHour: 60,
  },
});
expectOutcome(evaluate(policyNoApproval, allowSol, context), 'ALLOW', 0);
expectOutcome(evaluate(policyNoApproval, allowToken, context), 'ALLOW', 0);
expectOutcome(evaluate(policy, allowSol, context), 'ALLOW', 0);
expectOutcome(evaluate(policy, denySeveral, denyContext), 'DENY', 6);

let sink = 0;
const bench = new Bench({ name: 'evaluate', time: 1_000, warmupTime: 300 });
bench
  .add('ALLOW: SOL transfer, full policy (threshold not reached)', () => {
    for (let i = 0; i < BATCH; i++) sink += evaluate(policy, allowSol, context).reasons.length;
  })
  .add('ALLOW: token transfer, no approval', () => {
    for (let i = 0; i < BATCH; i++)
      sink += evaluate(policyNoApproval, allowToken, context).reasons.length;
  })
  .add('DENY: 6 reasons (per-tx, daily, recipient, program, rate, approval)', () => {
    for (let i = 0; i < BATCH; i++)
      sink += evaluate(policy, denySeveral, denyContext).reasons.length;
  })
  .add('DENY: NO_POLICY', () => {
    for (let i = 0; i < BATCH; i++) sink += evaluate(null, allowSol, context).reasons.length;
  });

await bench.run();

const rows = bench.tasks.map((task) => {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
  const perSecond = result.throughput.mean * BATCH;
  return {
    scenario: task.name,
    'evaluations/s': Math.round(perSecond).toLocaleString('en-US'),
    'ns/evaluation': (1e9 / perSecond).toFixed(1),
    'rme %': result.throughput.rme.toFixed(2),
    samples: result.latency.samplesCount,
  };
});
console.log(
  `evaluate() on ${process.version}, batches of ${BATCH}, pid ${process.pid} (sink ${sink > 0 ? 'ok' : 'empty'})`,
);
console.table(rows);
