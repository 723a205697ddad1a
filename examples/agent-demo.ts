/**
 * The agent journey, end to end, with nothing but `@waiaas/client` (plus one airdrop on the
 * local ledger through @solana/kit's RPC client):
 *
 *   operator creates an owner → owner creates an agent and a wallet, sets a policy, grants
 *   the agent → the wallet is funded → the agent sends 0.1 SOL and waits for CONFIRMED →
 *   a transfer over the per-transfer limit is denied (403 POLICY_DENIED with reasons) →
 *   a transfer over the approval threshold waits (AWAITING_APPROVAL) until the owner
 *   approves it, then confirms.
 *
 * Run it against `pnpm start` (in another terminal):   pnpm demo
 * Settings: WAIAAS_API_URL (default http://127.0.0.1:3000), ADMIN_TOKEN (default: the one
 * `pnpm start` saved in .waiaas/admin-token), SOLANA_RPC_URL (default: the ledger `pnpm start`
 * runs, http://127.0.0.1:8899). Exits 1 on any unexpected result.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { address, createSolanaRpc, generateKeyPairSigner, lamports } from '@solana/kit';
import { isWaiaasApiError, type Transaction, WaiaasClient } from '@waiaas/client';

const home = resolve(process.env.WAIAAS_HOME ?? join(import.meta.dirname, '..', '.waiaas'));

async function fromStartState(): Promise<{
  apiUrl?: string;
  rpcUrl?: string;
  adminToken?: string;
}> {
  const read = (name: string) => readFile(join(home, name), 'utf8').catch(() => undefined);
  const run = await read('run.json');
  const parsed = run === undefined ? {} : (JSON.parse(run) as { apiUrl?: string; rpcUrl?: string });
  return {
    apiUrl: parsed.apiUrl,
    rpcUrl: parsed.rpcUrl,
    adminToken: (await read('admin-token'))?.trim(),
  };
}

let stepNo = 0;
function step(title: string): void {
  stepNo += 1;
  console.log(`\n${stepNo}. ${title}`);
}
function show(line: string): void {
  console.log(`   ${line}`);
}
function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`unexpected: ${message}`);
}

async function main(): Promise<void> {
  const saved = await fromStartState();
  const apiUrl = process.env.WAIAAS_API_URL ?? saved.apiUrl ?? 'http://127.0.0.1:3000';
  const rpcUrl = process.env.SOLANA_RPC_URL ?? saved.rpcUrl ?? 'http://127.0.0.1:8899';
  const adminToken = process.env.ADMIN_TOKEN ?? saved.adminToken;
  if (adminToken === undefined)
    throw new Error(
      `no ADMIN_TOKEN: set it, or start the stack with pnpm start (it saves one in ${home})`,
    );

  const operator = new WaiaasClient({ baseUrl: apiUrl, apiKey: adminToken });

  step(`API at ${apiUrl}`);
  const ready = await operator.healthReady();
  show(`ready: ${JSON.stringify(ready.checks)}`);

  step('Operator creates an owner');
  const { owner, apiKey: ownerKey } = await operator.createOwner({
    email: `demo-${Date.now().toString(36)}@example.com`,
    name: 'Agent demo',
  });
  const asOwner = operator.withApiKey(ownerKey);
  show(`owner ${owner.id} (${owner.email}); owner key shown once: ${ownerKey.slice(0, 16)}…`);

  step('Owner creates an agent and a wallet, sets a policy and grants the agent');
  const { agent, apiKey: agentKey } = await asOwner.createAgent({
    name: 'demo-trader',
    description: 'examples/agent-demo.ts',
  });
  const asAgent = operator.withApiKey(agentKey);
  const { wallet } = await asOwner.createWallet({ label: 'agent-demo' });
  const { policy } = await asOwner.setPolicy(wallet.id, {
    perTxLimit: '1',
    dailyLimit: '3',
    requiresApproval: true,
    metadata: { approvalThreshold: '0.5' },
  });
  await asOwner.grantAgent(wallet.id, agent.id);
  show(`agent ${agent.id} (${agent.status})`);
  show(`wallet ${wallet.address} (${wallet.custody} custody)`);
  show(
    `policy v${policy.version}: ≤ ${policy.perTxLimit} SOL a transfer, ${policy.dailyLimit} SOL a day, owner approval above ${policy.metadata?.approvalThreshold} SOL`,
  );

  step(`Fund the wallet: airdrop 5 SOL on ${rpcUrl}`);
  const rpc = createSolanaRpc(rpcUrl);
  const airdrop = await rpc
    .requestAirdrop(address(wallet.address), lamports(5_000_000_000n), { commitment: 'confirmed' })
    .send();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { value } = await rpc.getSignatureStatuses([airdrop]).send();
    const s = value[0];
    if (s?.err) throw new Error(`airdrop failed: ${JSON.stringify(s.err)}`);
    if (s?.confirmationStatus === 'confirmed' || s?.confirmationStatus === 'finalized') break;
    check(Date.now() < deadline, 'airdrop not confirmed within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const { balance } = await asAgent.getBalance(wallet.id);
  show(`balance seen by the agent: ${balance.sol} SOL`);
  check(
    balance.lamports === '5000000000',
    `balance ${balance.lamports} lamports after a 5 SOL airdrop`,
  );

  const recipient = (await generateKeyPairSigner()).address;

  step(`Agent sends 0.1 SOL to ${recipient}`);
  const first = await asAgent.createTransfer(wallet.id, {
    to: recipient,
    amount: '0.1',
    memo: 'agent-demo',
  });
  show(
    `201 ${first.transaction.status}, signature ${first.transaction.signature}, Idempotency-Key ${first.idempotencyKey}`,
  );
  check(
    first.transaction.status === 'PENDING',
    `expected PENDING, got ${first.transaction.status}`,
  );
  const retry = await asAgent.createTransfer(
    wallet.id,
    { to: recipient, amount: '0.1', memo: 'agent-demo' },
    { idempotencyKey: first.idempotencyKey },
  );
  show(
    `retried with the same Idempotency-Key: replayed=${retry.replayed}, same transaction=${retry.transaction.id === first.transaction.id}`,
  );
  check(
    retry.replayed && retry.transaction.id === first.transaction.id,
    'an idempotent retry created a second transfer',
  );
  const confirmed = await waitConfirmed(asAgent, first.transaction);
  show(`CONFIRMED in slot ${confirmed.slot}, fee ${confirmed.fee} lamports`);

  step('Agent asks for 2 SOL: over the 1 SOL per-transfer limit');
  const dryRun = await asAgent.evaluateTransfer(wallet.id, { to: recipient, amount: '2' });
  show(
    `dry run: ${dryRun.decision.outcome} ${dryRun.decision.reasons.map((r) => r.code).join(', ')}`,
  );
  check(dryRun.decision.outcome === 'DENY', `dry run said ${dryRun.decision.outcome}`);
  try {
    await asAgent.createTransfer(wallet.id, { to: recipient, amount: '2' });
    check(false, 'a 2 SOL transfer was accepted');
  } catch (e) {
    if (!isWaiaasApiError(e, 'POLICY_DENIED')) throw e;
    show(`${e.status} ${e.code}: ${e.reasons.map((r) => r.code).join(', ')}`);
    check(e.status === 403, `status ${e.status}`);
    check(
      e.reasons.some((r) => r.code === 'PER_TX_LIMIT_EXCEEDED'),
      `reasons ${JSON.stringify(e.reasons)}`,
    );
  }

  step('Agent sends 0.75 SOL: above the 0.5 SOL approval threshold');
  const big = await asAgent.createTransfer(wallet.id, { to: recipient, amount: '0.75' });
  show(
    `201 ${big.transaction.status} (nothing signed yet: signature ${big.transaction.signature})`,
  );
  check(
    big.transaction.status === 'AWAITING_APPROVAL',
    `expected AWAITING_APPROVAL, got ${big.transaction.status}`,
  );
  const waiting = await asOwner.listTransactions(wallet.id, { status: 'AWAITING_APPROVAL' });
  show(`owner sees ${waiting.transactions.length} transfer(s) awaiting approval`);
  check(
    waiting.transactions.some((t) => t.id === big.transaction.id),
    'the owner does not see the transfer awaiting approval',
  );
  const { transaction: approved } = await asOwner.approveTransaction(big.transaction.id);
  show(`owner approves: ${approved.status}, signature ${approved.signature}`);
  check(approved.status === 'PENDING', `expected PENDING after approval, got ${approved.status}`);
  const approvedDone = await waitConfirmed(asAgent, approved);
  show(`CONFIRMED in slot ${approvedDone.slot}`);

  step('Where things stand');
  const history = await asAgent.listTransactions(wallet.id);
  for (const t of history.transactions)
    show(
      `${t.createdAt}  ${t.amount.padStart(5)} SOL → ${t.destination.slice(0, 8)}…  ${t.status}`,
    );
  const statuses = history.transactions.map((t) => t.status).sort();
  check(
    JSON.stringify(statuses) === JSON.stringify(['CONFIRMED', 'CONFIRMED']),
    `history ${statuses.join(', ')}`,
  );
  const { value: received } = await rpc.getBalance(recipient, { commitment: 'confirmed' }).send();
  show(`recipient holds ${received} lamports on chain`);
  check(received === 850_000_000n, `recipient holds ${received} lamports, expected 850000000`);
  console.log('\nAgent demo finished: every step behaved as expected.');
}

async function waitConfirmed(client: WaiaasClient, transaction: Transaction): Promise<Transaction> {
  const done = await client.waitForTransaction(transaction.id, {
    timeoutMs: 90_000,
    intervalMs: 300,
  });
  check(
    done.status === 'CONFIRMED',
    `transaction ${done.id} ended ${done.status} (${done.failureReason ?? ''} ${done.error ?? ''})`,
  );
  return done;
}

main().catch((e: unknown) => {
  console.error(`\nAgent demo FAILED: ${e instanceof Error ? e.message : String(e)}`);
  if (isWaiaasApiError(e) && e.problem !== null) console.error(JSON.stringify(e.problem, null, 2));
  process.exit(1);
});
