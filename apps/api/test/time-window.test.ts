// Time windows over HTTP: validation of the policy field, denials with the next opening on
// POST transfers and POST evaluate, the re-check at approval, and the daylight saving time
// changes of Europe/Berlin. The engine's clock is the test's: each case sets the instant.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI'];

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
let now = new Date('2026-11-23T10:00:00Z');

beforeAll(async () => {
  h = await startHarness({}, { clock: () => now });
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key);
});

afterAll(async () => {
  await h.close();
});

function putPolicy(walletId: string, body: Record<string, unknown>) {
  return call(h.app, 'PUT', `/v1/wallets/${walletId}/policy`, { token: owner.key, body });
}

async function walletWithWindow(
  timeWindow: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const wallet = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, wallet.id, agent.id);
  const { metadata, ...rest } = extra as { metadata?: Record<string, unknown> };
  const r = await putPolicy(wallet.id, {
    perTxLimit: '1',
    dailyLimit: '10',
    ...rest,
    metadata: { ...metadata, timeWindow },
  });
  expect(r.status).toBe(200);
  return wallet.id;
}

function transfer(walletId: string, amount = '0.1') {
  return call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token: agent.key,
    body: { to: RECIPIENT, amount },
    headers: { 'idempotency-key': randomUUID() },
  });
}

function evaluate(walletId: string, token = agent.key) {
  return call(h.app, 'POST', `/v1/wallets/${walletId}/transfers/evaluate`, {
    token,
    body: { to: RECIPIENT, amount: '0.1' },
  });
}

/** The OUTSIDE_TIME_WINDOW reason of a 403 denial (and that it is the only reason). */
function outsideReason(r: { body: { reasons?: unknown[] } }) {
  expect(r.body.reasons).toEqual([
    expect.objectContaining({ code: 'OUTSIDE_TIME_WINDOW', message: expect.any(String) }),
  ]);
  return r.body.reasons![0] as { timeZone: string; nextOpening: string };
}

describe('timeWindow validation', () => {
  it.each([
    [
      'an unknown zone',
      { timeZone: 'Europe/Atlantis', ranges: [{ days: ['MON'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.timeZone',
      'INVALID_TIME_ZONE',
    ],
    [
      'a malformed time',
      { timeZone: 'Europe/Berlin', ranges: [{ days: ['MON'], from: '9am', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].from',
      'INVALID_TIME_OF_DAY',
    ],
    [
      'an unknown day',
      { timeZone: 'Europe/Berlin', ranges: [{ days: ['Mon'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].days[0]',
      'INVALID_WEEKDAY',
    ],
  ])(
    'refuses %s with 400 POLICY_INVALID and writes nothing',
    async (_name, timeWindow, path, code) => {
      const wallet = await createWallet(h.app, owner.key);
      const r = await putPolicy(wallet.id, {
        perTxLimit: '1',
        dailyLimit: '10',
        metadata: { timeWindow },
      });
      expectProblem(r, 400, 'POLICY_INVALID');
      expect(r.body.errors).toContainEqual(expect.objectContaining({ path, code }));
      expect(await h.prisma.walletPolicy.count({ where: { walletId: wallet.id } })).toBe(0);
    },
  );

  it('stores several ranges (one overnight) and answers them back', async () => {
    const timeWindow = {
      timeZone: 'Europe/Berlin',
      ranges: [
        { days: WEEKDAYS, from: '09:00', to: '17:00' },
        { days: ['SAT'], from: '22:00', to: '06:00' },
      ],
    };
    const walletId = await walletWithWindow(timeWindow);
    const r = await call(h.app, 'GET', `/v1/wallets/${walletId}/policy`, { token: owner.key });
    expect(r.status).toBe(200);
    expect(r.body.policy.metadata.timeWindow).toEqual(timeWindow);
  });
});

describe('timeWindow decisions', () => {
  let office: string;
  beforeAll(async () => {
    office = await walletWithWindow({
      timeZone: 'Europe/Berlin',
      ranges: [{ days: WEEKDAYS, from: '09:00', to: '17:00' }],
    });
  });

  it('denies a transfer on Saturday with the next opening (Monday 09:00 Berlin), storing nothing', async () => {
    now = new Date('2026-11-21T12:00:00Z'); // Saturday 13:00 CET
    const before = await h.prisma.transaction.count({ where: { walletId: office } });
    const denied = await transfer(office);
    expectProblem(denied, 403, 'POLICY_DENIED');
    expect(outsideReason(denied)).toEqual(
      expect.objectContaining({
        timeZone: 'Europe/Berlin',
        nextOpening: '2026-11-23T08:00:00.000Z',
      }),
    );
    expect(await h.prisma.transaction.count({ where: { walletId: office } })).toBe(before);

    // The dry run says the same, to the agent and to the owner.
    for (const token of [agent.key, owner.key]) {
      const dry = await evaluate(office, token);
      expect(dry.status).toBe(200);
      expect(dry.body.decision.outcome).toBe('DENY');
      expect(dry.body.decision.reasons).toEqual([
        expect.objectContaining({
          code: 'OUTSIDE_TIME_WINDOW',
          nextOpening: '2026-11-23T08:00:00.000Z',
        }),
      ]);
    }
  });

  it('allows it once the window is open (09:00 local is inside, 17:00 is not)', async () => {
    now = new Date('2026-11-23T08:00:00Z'); // Monday 09:00 CET
    expect((await evaluate(office)).body.decision.outcome).toBe('ALLOW');
    const ok = await transfer(office);
    expect(ok.status).toBe(201);
    expect(ok.body.transaction.status).toBe('PENDING');

    now = new Date('2026-11-23T16:00:00Z'); // Monday 17:00 CET
    const late = await transfer(office);
    expectProblem(late, 403, 'POLICY_DENIED');
    expect(outsideReason(late).nextOpening).toBe('2026-11-24T08:00:00.000Z');
  });

  it('judges again at approval: approved outside the window, the transfer fails with the reason', async () => {
    const walletId = await walletWithWindow(
      { timeZone: 'Europe/Berlin', ranges: [{ days: WEEKDAYS, from: '09:00', to: '17:00' }] },
      { requiresApproval: true },
    );
    now = new Date('2026-11-24T09:00:00Z'); // Tuesday 10:00 CET
    const waiting = await transfer(walletId);
    expect(waiting.status).toBe(201);
    expect(waiting.body.transaction.status).toBe('AWAITING_APPROVAL');

    now = new Date('2026-11-24T19:00:00Z'); // Tuesday 20:00 CET: closed
    const approved = await call(
      h.app,
      'POST',
      `/v1/transactions/${waiting.body.transaction.id}/approve`,
      { token: owner.key },
    );
    expectProblem(approved, 403, 'POLICY_DENIED');
    // The approval requirement is listed too (the decision lists every reason).
    expect(approved.body.reasons).toEqual([
      expect.objectContaining({
        code: 'OUTSIDE_TIME_WINDOW',
        nextOpening: '2026-11-25T08:00:00.000Z',
      }),
      expect.objectContaining({ code: 'APPROVAL_REQUIRED' }),
    ]);
    expect(approved.body.transaction).toEqual(
      expect.objectContaining({ status: 'FAILED', failureReason: 'POLICY' }),
    );
  });
});

describe('timeWindow across daylight saving time (Europe/Berlin)', () => {
  it('spring forward (2026-03-29, 02:00 CET → 03:00 CEST): a 02:30 start opens at the jump', async () => {
    const walletId = await walletWithWindow({
      timeZone: 'Europe/Berlin',
      ranges: [{ days: ['SUN'], from: '02:30', to: '04:00' }],
    });
    now = new Date('2026-03-29T00:59:00Z'); // 01:59 CET
    const early = await transfer(walletId);
    expectProblem(early, 403, 'POLICY_DENIED');
    // 02:30 local does not exist that day; the clock reads 03:00 CEST at 01:00Z, inside the range.
    expect(outsideReason(early).nextOpening).toBe('2026-03-29T01:00:00.000Z');

    now = new Date('2026-03-29T01:00:00Z'); // 03:00 CEST
    expect((await transfer(walletId)).status).toBe(201);
    now = new Date('2026-03-29T02:00:00Z'); // 04:00 CEST: closed, an hour of real time after opening
    const closed = await transfer(walletId);
    expectProblem(closed, 403, 'POLICY_DENIED');
    expect(outsideReason(closed).nextOpening).toBe('2026-04-05T00:30:00.000Z'); // 02:30 CEST
  });

  it('fall back (2026-10-25, 03:00 CEST → 02:00 CET): the repeated hour is open both times', async () => {
    const walletId = await walletWithWindow({
      timeZone: 'Europe/Berlin',
      ranges: [{ days: ['SUN'], from: '02:00', to: '03:00' }],
    });
    now = new Date('2026-10-25T00:30:00Z'); // 02:30 CEST (first time)
    expect((await transfer(walletId)).status).toBe(201);
    now = new Date('2026-10-25T01:30:00Z'); // 02:30 CET (second time)
    expect((await transfer(walletId)).status).toBe(201);
    now = new Date('2026-10-25T02:00:00Z'); // 03:00 CET
    const closed = await transfer(walletId);
    expectProblem(closed, 403, 'POLICY_DENIED');
    expect(outsideReason(closed).nextOpening).toBe('2026-11-01T01:00:00.000Z'); // 02:00 CET
  });
});
