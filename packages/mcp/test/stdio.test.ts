/**
 * `waiaas-mcp` over stdio, driven by the MCP SDK's own client, against the real stack: a
 * transfer to CONFIRMED, a model's retry that must not pay twice, policy denials with every
 * reason and the remaining daily budget, and a transfer that waits for the owner's approval.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Address } from '@solana/kit';
import type { Transaction } from '@waiaas/client';
import type { ToolError } from '../src/index.js';
import {
  call,
  connectStdio,
  createAgent,
  lamportsOf,
  newAddress,
  startStack,
  type Stack,
} from './stack.js';

// Each MCP server is a child process compiled from source at start; on a loaded machine that
// alone can take tens of seconds. Nothing here races a clock; this only bounds a hung run.
jest.setTimeout(180_000);

let stack: Stack;
let agent: Awaited<ReturnType<typeof createAgent>>;
let mcp: Client;

beforeAll(async () => {
  stack = await startStack();
  agent = await createAgent(stack);
  mcp = await connectStdio({ WAIAAS_URL: stack.baseUrl, WAIAAS_AGENT_KEY: agent.agentKey });
});

afterAll(async () => {
  await mcp?.close();
  await stack?.close();
});

type Sent = { transaction: Transaction; replayed: boolean; idempotencyKey: string };

/** Lamports as the API writes SOL amounts: decimal, no trailing zeros. */
function sol(lamports: bigint): string {
  const whole = lamports / 1_000_000_000n;
  const fraction = (lamports % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

describe('tools', () => {
  it('offers the agent-scoped tools only, send_transfer with a required idempotencyKey', async () => {
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'evaluate_transfer',
      'get_balance',
      'get_transaction',
      'list_transactions',
      'list_wallets',
      'send_transfer',
      'wait_for_transaction',
    ]);
    const send = tools.find((t) => t.name === 'send_transfer');
    expect(send?.inputSchema.required).toEqual(
      expect.arrayContaining(['walletId', 'to', 'amount', 'idempotencyKey']),
    );
  });

  it('lists only the wallets granted to the agent, and their balance', async () => {
    const granted = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' }, 3_000_000_000n);
    const { wallet: other } = await agent.owner.createWallet({ label: 'not granted' });
    const { data } = await call<{ wallets: { id: string; address: string }[] }>(
      mcp,
      'list_wallets',
      {},
    );
    expect(data.wallets.map((w) => w.id)).toContain(granted.id);
    expect(data.wallets.map((w) => w.id)).not.toContain(other.id);
    const balance = await call<{ balance: { sol: string; lamports: string } }>(mcp, 'get_balance', {
      walletId: granted.id,
    });
    expect(balance.isError).toBe(false);
    expect(balance.data.balance).toMatchObject({ sol: '3', lamports: '3000000000' });
  });
});

describe('send_transfer', () => {
  it('sends a transfer that reaches CONFIRMED and pays the recipient exactly', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const to = await newAddress();
    const evaluation = await call<{ outcome: string }>(mcp, 'evaluate_transfer', {
      walletId: wallet.id,
      to,
      amount: '0.25',
    });
    expect(evaluation.data.outcome).toBe('ALLOW');

    const sent = await call<Sent>(mcp, 'send_transfer', {
      walletId: wallet.id,
      to,
      amount: '0.25',
      memo: 'mcp test',
      idempotencyKey: 'confirmed-1',
    });
    expect(sent.isError).toBe(false);
    expect(sent.data.transaction.status).toBe('PENDING');
    expect(sent.data.replayed).toBe(false);

    const waited = await call<{ transaction: Transaction }>(mcp, 'wait_for_transaction', {
      transactionId: sent.data.transaction.id,
      timeoutSeconds: 55,
    });
    expect(waited.isError).toBe(false);
    expect(waited.data.transaction.status).toBe('CONFIRMED');
    expect(await lamportsOf(stack.ledger.url, to)).toBe(250_000_000n);

    const listed = await call<{ transactions: Transaction[] }>(mcp, 'list_transactions', {
      walletId: wallet.id,
    });
    expect(listed.data.transactions.map((t) => t.id)).toEqual([sent.data.transaction.id]);
  });

  it('sends once when the model retries the call with the same idempotencyKey', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const to = await newAddress();
    const args = { walletId: wallet.id, to, amount: '0.1', idempotencyKey: 'pay-alice-42' };
    const first = await call<Sent>(mcp, 'send_transfer', args);
    // The model did not see the answer and calls again; then a new MCP session (a restarted
    // client) calls a third time. All three are one payment.
    const retry = await call<Sent>(mcp, 'send_transfer', args);
    const restarted = await connectStdio({
      WAIAAS_URL: stack.baseUrl,
      WAIAAS_AGENT_KEY: agent.agentKey,
    });
    const third = await call<Sent>(restarted, 'send_transfer', args).finally(() =>
      restarted.close(),
    );

    expect([first.isError, retry.isError, third.isError]).toEqual([false, false, false]);
    expect([first.data.replayed, retry.data.replayed, third.data.replayed]).toEqual([
      false,
      true,
      true,
    ]);
    expect(new Set([first, retry, third].map((r) => r.data.transaction.id)).size).toBe(1);

    const done = await call<{ transaction: Transaction }>(mcp, 'wait_for_transaction', {
      transactionId: first.data.transaction.id,
    });
    expect(done.data.transaction.status).toBe('CONFIRMED');
    const signature = done.data.transaction.signature;
    expect(signature).not.toBeNull();
    expect(stack.ledger.landingCount(signature ?? '')).toBe(1);
    expect(await lamportsOf(stack.ledger.url, to)).toBe(100_000_000n);
    const listed = await call<{ transactions: Transaction[] }>(mcp, 'list_transactions', {
      walletId: wallet.id,
    });
    expect(listed.data.transactions).toHaveLength(1);

    // The same key for a different payment is refused, not silently replayed.
    const reused = await call<{ error: ToolError }>(mcp, 'send_transfer', {
      ...args,
      amount: '0.2',
    });
    expect(reused.isError).toBe(true);
    expect(reused.data.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
  });

  it('refuses a send without an idempotencyKey, before anything reaches the API', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const missing = await call(mcp, 'send_transfer', {
      walletId: wallet.id,
      to: await newAddress(),
      amount: '0.1',
    });
    expect(missing.isError).toBe(true);
    expect(JSON.stringify(missing.result.content)).toContain('idempotencyKey');
    const listed = await call<{ transactions: Transaction[] }>(mcp, 'list_transactions', {
      walletId: wallet.id,
    });
    expect(listed.data.transactions).toEqual([]);
  });
});

describe('denials', () => {
  it('returns every reason and the remaining daily budget (per-transaction limit)', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const to = await newAddress();
    const ok = await call<Sent>(mcp, 'send_transfer', {
      walletId: wallet.id,
      to,
      amount: '0.5',
      idempotencyKey: 'daily-1',
    });
    expect(ok.isError).toBe(false);

    // The network fee counts toward the SOL limits too.
    const fee = BigInt(ok.data.transaction.networkFee);
    expect(fee).toBeGreaterThan(0n);
    const spent = 500_000_000n + fee;

    const denied = await call<{ error: ToolError }>(mcp, 'send_transfer', {
      walletId: wallet.id,
      to,
      amount: '1.2',
      idempotencyKey: 'too-big-1',
    });
    expect(denied.isError).toBe(true);
    expect(denied.data.error.code).toBe('POLICY_DENIED');
    expect(denied.data.error.status).toBe(403);
    expect(denied.data.error.retryable).toBe(false);
    expect(denied.data.error.reasons?.map((r) => r.code)).toEqual(['PER_TX_LIMIT_EXCEEDED']);
    expect(denied.data.error.remainingDailyBudget).toEqual({
      asset: null,
      decimals: 9,
      window: 'ROLLING_24H',
      limit: '2',
      spent: sol(spent),
      remaining: sol(2_000_000_000n - spent),
      remainingBaseUnits: String(2_000_000_000n - spent),
    });
  });

  it('returns every reason and the remaining daily budget (daily limit, with another rule)', async () => {
    const allowed = await newAddress();
    const wallet = await agent.wallet({
      perTxLimit: '1',
      dailyLimit: '2',
      allowedAddresses: [allowed],
    });
    let spent = 0n;
    for (const [key, amount, lamports] of [
      ['d-1', '0.99', 990_000_000n],
      ['d-2', '0.75', 750_000_000n],
    ] as const) {
      const sent = await call<Sent>(mcp, 'send_transfer', {
        walletId: wallet.id,
        to: allowed,
        amount,
        idempotencyKey: key,
      });
      expect(sent.isError).toBe(false);
      spent += lamports + BigInt(sent.data.transaction.networkFee);
    }
    const stranger: Address = await newAddress();
    const denied = await call<{ error: ToolError }>(mcp, 'send_transfer', {
      walletId: wallet.id,
      to: stranger,
      amount: '0.5',
      idempotencyKey: 'd-3',
    });
    expect(denied.data.error.code).toBe('POLICY_DENIED');
    expect(denied.data.error.reasons?.map((r) => r.code).sort()).toEqual([
      'DAILY_LIMIT_EXCEEDED',
      'RECIPIENT_NOT_ALLOWED',
    ]);
    expect(denied.data.error.remainingDailyBudget).toMatchObject({
      asset: null,
      limit: '2',
      spent: sol(spent),
      remaining: sol(2_000_000_000n - spent),
      remainingBaseUnits: String(2_000_000_000n - spent),
    });
    expect(await lamportsOf(stack.ledger.url, stranger)).toBe(0n);
  });
});

describe('approval', () => {
  it('leaves a transfer that needs the owner AWAITING_APPROVAL, and it confirms once approved', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2', requiresApproval: true });
    const to = await newAddress();
    const sent = await call<Sent>(mcp, 'send_transfer', {
      walletId: wallet.id,
      to,
      amount: '0.3',
      idempotencyKey: 'needs-approval-1',
    });
    expect(sent.isError).toBe(false);
    expect(sent.data.transaction.status).toBe('AWAITING_APPROVAL');
    expect(sent.data.transaction.signature).toBeNull();

    const pending = await call<{ transactions: Transaction[] }>(mcp, 'list_transactions', {
      walletId: wallet.id,
      status: 'AWAITING_APPROVAL',
    });
    expect(pending.data.transactions.map((t) => t.id)).toEqual([sent.data.transaction.id]);
    expect(await lamportsOf(stack.ledger.url, to)).toBe(0n);

    // Nothing moves until the owner decides: a bounded wait ends in a retryable WAIT_TIMEOUT.
    const waiting = await call<{ error: ToolError }>(mcp, 'wait_for_transaction', {
      transactionId: sent.data.transaction.id,
      timeoutSeconds: 1,
    });
    expect(waiting.isError).toBe(true);
    expect(waiting.data.error).toMatchObject({ code: 'WAIT_TIMEOUT', retryable: true });
    const tooLong = await call(mcp, 'wait_for_transaction', {
      transactionId: sent.data.transaction.id,
      timeoutSeconds: 600,
    });
    expect(tooLong.isError).toBe(true);

    await agent.owner.approveTransaction(sent.data.transaction.id);
    const done = await call<{ transaction: Transaction }>(mcp, 'wait_for_transaction', {
      transactionId: sent.data.transaction.id,
    });
    expect(done.data.transaction.status).toBe('CONFIRMED');
    expect(await lamportsOf(stack.ledger.url, to)).toBe(300_000_000n);
  });

  it('gives a key without the transfer scope a structured AGENT_KEY_SCOPE error, and nothing is sent', async () => {
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' }, 2_000_000_000n);
    const { apiKey } = await agent.owner.createAgentKey(agent.agentId, {
      name: 'mcp-reader',
      scopes: ['read', 'evaluate'],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const reader = await connectStdio({ WAIAAS_URL: stack.baseUrl, WAIAAS_AGENT_KEY: apiKey });
    try {
      const balance = await call(reader, 'get_balance', { walletId: wallet.id });
      expect(balance.isError).toBe(false);
      const to = await newAddress();
      const refused = await call<{ error: ToolError }>(reader, 'send_transfer', {
        walletId: wallet.id,
        to,
        amount: '0.1',
        idempotencyKey: 'mcp-scope-1',
      });
      expect(refused.isError).toBe(true);
      expect(refused.data.error).toMatchObject({
        code: 'AGENT_KEY_SCOPE',
        status: 403,
        retryable: false,
      });
      const { transactions } = await agent.owner.listTransactions(wallet.id);
      expect(transactions).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('reports an unknown transaction as a structured NOT_FOUND error', async () => {
    const missing = await call<{ error: ToolError }>(mcp, 'get_transaction', {
      transactionId: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.isError).toBe(true);
    expect(missing.data.error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
