import { describe, expect, it } from '@jest/globals';
import { classify, type ClassifyInput } from './classify.js';

const base: ClassifyInput = {
  status: null,
  lastValidBlockHeight: 1_000n,
  lastSubmittedAt: new Date('2026-01-01T00:00:00.000Z'),
  finalizedBlockHeight: 900n,
  commitment: 'confirmed',
  now: new Date('2026-01-01T00:00:05.000Z'),
  rebroadcastIntervalMs: 2_000,
};

describe('classify', () => {
  it('confirms a successful transaction once it reached the commitment', () => {
    expect(
      classify({ ...base, status: { slot: 42n, err: null, confirmationStatus: 'confirmed' } }),
    ).toEqual({ kind: 'confirm', slot: 42n });
    expect(
      classify({ ...base, status: { slot: 42n, err: null, confirmationStatus: 'finalized' } }),
    ).toEqual({ kind: 'confirm', slot: 42n });
  });

  it('waits while a landed transaction is only processed, without rebroadcasting', () => {
    expect(
      classify({ ...base, status: { slot: 42n, err: null, confirmationStatus: 'processed' } }),
    ).toEqual({ kind: 'wait' });
  });

  it('waits for finalized when the commitment is finalized', () => {
    const status = { slot: 42n, err: null, confirmationStatus: 'confirmed' as const };
    expect(classify({ ...base, commitment: 'finalized', status })).toEqual({ kind: 'wait' });
  });

  it('fails a transaction that landed with an error, only at the commitment', () => {
    const err = { InstructionError: [0, 'Custom'] };
    expect(
      classify({ ...base, status: { slot: 7n, err, confirmationStatus: 'confirmed' } }),
    ).toEqual({ kind: 'fail', slot: 7n, err });
    expect(
      classify({ ...base, status: { slot: 7n, err, confirmationStatus: 'processed' } }),
    ).toEqual({ kind: 'wait' });
  });

  it('rebroadcasts an unseen, still valid transaction only when its last send is old enough', () => {
    expect(classify(base)).toEqual({ kind: 'rebroadcast' });
    expect(classify({ ...base, now: new Date('2026-01-01T00:00:01.999Z') })).toEqual({
      kind: 'idle',
    });
    expect(classify({ ...base, lastSubmittedAt: null })).toEqual({ kind: 'rebroadcast' });
  });

  it('expires an unseen transaction only once the finalized height is past its last valid height', () => {
    expect(classify({ ...base, finalizedBlockHeight: 1_000n })).toEqual({ kind: 'rebroadcast' });
    expect(classify({ ...base, finalizedBlockHeight: 1_001n })).toEqual({ kind: 'expired' });
  });

  it('never expires a transaction that was seen, however old its blockhash', () => {
    const status = { slot: 7n, err: null, confirmationStatus: 'processed' as const };
    expect(classify({ ...base, finalizedBlockHeight: 5_000n, status })).toEqual({ kind: 'wait' });
  });
});
