import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_TOKEN, call, createAgent, createOwner, createWallet, expectProblem, type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('smoke', () => {
  it('boots and answers health', async () => {
    const live = await call(h.app, 'GET', '/health/live');
    expect(live.status).toBe(200);
    const ready = await call(h.app, 'GET', '/health/ready');
    expect(ready.body).toEqual(expect.objectContaining({ status: 'ok' }));
  });

  it('creates owner, agent, wallet', async () => {
    const owner = await createOwner(h.app);
    const agent = await createAgent(h.app, owner.key);
    const wallet = await createWallet(h.app, owner.key);
    expect(wallet.address).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    const r = await call(h.app, 'GET', '/v1/wallets', { token: agent.key });
    expect(r.body).toEqual({ wallets: [] });
    expectProblem(await call(h.app, 'POST', '/v1/owners', { token: owner.key, body: { email: 'x@y.z' } }), 403, 'FORBIDDEN');
    expectProblem(await call(h.app, 'POST', '/v1/owners', { token: ADMIN_TOKEN, body: { email: 'x@y.z', extra: 1 } }), 400, 'VALIDATION_FAILED');
  });
});
