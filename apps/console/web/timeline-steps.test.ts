import { describe, expect, it } from '@jest/globals';
import type { Transaction } from '@waiaas/client';
import { steps } from './timeline-steps.js';

const T0 = '2026-12-02T10:00:00.000Z';
const T1 = '2026-12-02T10:01:00.000Z';
const T2 = '2026-12-02T10:01:02.000Z';
const T3 = '2026-12-02T10:01:03.000Z';

function tx(overrides: Partial<Transaction>): Transaction {
  return {
    id: 'tx',
    walletId: 'w',
    agentId: 'a',
    status: 'PENDING',
    type: 'TRANSFER',
    asset: null,
    amount: '0.1',
    amountBaseUnits: '100000000',
    decimals: 9,
    destination: 'd',
    memo: null,
    signature: 'sig',
    failureReason: null,
    error: null,
    lastValidBlockHeight: '10',
    submitAttempts: 0,
    slot: null,
    fee: null,
    networkFee: '5000',
    policy: { outcome: 'ALLOW', reasons: [], version: 1 },
    idempotencyKey: 'k',
    createdAt: T0,
    submittedAt: null,
    confirmedAt: null,
    decidedAt: null,
    expiresAt: null,
    dueAt: null,
    agentKeyId: null,
    ...overrides,
  };
}

const summary = (t: Transaction) => steps(t).map((s) => `${s.label}:${s.state}`);

describe('status timeline', () => {
  it('follows an allowed transfer PENDING → SUBMITTED → CONFIRMED', () => {
    expect(summary(tx({}))).toEqual(['PENDING:current', 'SUBMITTED:todo', 'CONFIRMED:todo']);
    expect(summary(tx({ status: 'SUBMITTED', submittedAt: T2 }))).toEqual([
      'PENDING:done',
      'SUBMITTED:current',
      'CONFIRMED:todo',
    ]);
    const confirmed = steps(tx({ status: 'CONFIRMED', submittedAt: T2, confirmedAt: T3 }));
    expect(confirmed.map((s) => [s.label, s.state, s.at])).toEqual([
      ['PENDING', 'done', T0],
      ['SUBMITTED', 'done', T2],
      ['CONFIRMED', 'done', T3],
    ]);
  });

  it('starts with the approval when the owner had to decide', () => {
    expect(summary(tx({ status: 'AWAITING_APPROVAL', signature: null }))).toEqual([
      'AWAITING APPROVAL:current',
    ]);
    expect(summary(tx({ status: 'REJECTED', signature: null, decidedAt: T1 }))).toEqual([
      'AWAITING APPROVAL:done',
      'REJECTED:failed',
    ]);
    const approved = steps(tx({ status: 'SUBMITTED', decidedAt: T1, submittedAt: T2 }));
    expect(approved.map((s) => `${s.label}@${s.at}`)).toEqual([
      `AWAITING APPROVAL@${T0}`,
      `PENDING@${T1}`,
      `SUBMITTED@${T2}`,
      'CONFIRMED@null',
    ]);
  });

  it('ends an approval the owner did not give in time as EXPIRED, when it expired', () => {
    const expired = steps(tx({ status: 'EXPIRED', signature: null, decidedAt: T1, expiresAt: T1 }));
    expect(expired.map((s) => [s.label, s.state, s.at])).toEqual([
      ['AWAITING APPROVAL', 'done', T0],
      ['EXPIRED', 'failed', T1],
    ]);
  });

  it('ends a failed transfer where it stopped, naming EXPIRED apart', () => {
    expect(summary(tx({ status: 'FAILED', failureReason: 'EXPIRED', submittedAt: T2 }))).toEqual([
      'PENDING:done',
      'SUBMITTED:done',
      'EXPIRED:failed',
    ]);
    expect(summary(tx({ status: 'FAILED', failureReason: 'RPC_REJECTED' }))).toEqual([
      'PENDING:done',
      'FAILED (RPC_REJECTED):failed',
    ]);
    // Denied when the owner approved: never signed, so never PENDING.
    expect(
      summary(tx({ status: 'FAILED', failureReason: 'POLICY', signature: null, decidedAt: T1 })),
    ).toEqual(['AWAITING APPROVAL:done', 'FAILED (POLICY):failed']);
  });
});
