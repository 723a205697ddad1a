/**
 * The README's example, runnable against `pnpm start` (from the repository root):
 *   ADMIN_TOKEN=$(cat ../../.waiaas/admin-token) pnpm --filter @waiaas/client example
 */
import { isWaiaasApiError, WaiaasClient } from '../src/index.js';

const operator = new WaiaasClient({
  baseUrl: process.env.WAIAAS_API_URL ?? 'http://127.0.0.1:3000',
  apiKey: process.env.ADMIN_TOKEN,
});

// Operator → owner → agent + wallet + policy + grant. Keys are returned once.
const { apiKey: ownerKey } = await operator.createOwner({
  email: `readme-${Date.now()}@example.com`,
});
const owner = operator.withApiKey(ownerKey);
const { agent, apiKey: agentKey } = await owner.createAgent({ name: 'readme-agent' });
const { wallet } = await owner.createWallet({ label: 'readme' });
await owner.setPolicy(wallet.id, { perTxLimit: '1', dailyLimit: '2' });
await owner.grantAgent(wallet.id, agent.id);

// The agent asks for more than the policy allows: a typed problem with the reasons.
const asAgent = operator.withApiKey(agentKey);
try {
  await asAgent.createTransfer(wallet.id, { to: wallet.address, amount: '5' });
} catch (e) {
  if (!isWaiaasApiError(e, 'POLICY_DENIED')) throw e;
  console.log(
    e.status,
    e.code,
    e.reasons.map((r) => r.code),
  ); // 403 POLICY_DENIED [ 'PER_TX_LIMIT_EXCEEDED', ... ]
}
const decision = await asAgent.evaluateTransfer(wallet.id, { to: wallet.address, amount: '0.5' });
console.log(decision.decision.outcome); // ALLOW (nothing signed: a dry run)
