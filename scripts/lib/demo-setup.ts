/**
 * The demo data of `pnpm start`, created through the API over HTTP with `@waiaas/client`
 * (exactly what a user would do): an owner, an agent, a wallet with a policy, the grant, and
 * an airdrop on the local ledger. The keys are shown once by the API, so they are saved to
 * `.waiaas/demo-credentials.json` (mode 0600) and reused on later starts.
 */
import { address, createSolanaRpc, generateKeyPairSigner, lamports } from '@solana/kit';
import { isWaiaasApiError, type PolicyInput, WaiaasClient } from '@waiaas/client';
import type { StateDir } from './state.js';

export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';

export interface DemoCredentials {
  createdAt: string;
  apiUrl: string;
  owner: { id: string; email: string; apiKey: string };
  agent: { id: string; name: string; apiKey: string };
  wallet: { id: string; address: string };
  /** A fresh address to send the demo transfer to. */
  recipient: string;
  policy: PolicyInput;
}

/** Small limits so a user meets each policy outcome quickly: ALLOW ≤ 0.5, approval above, deny above 1. */
export const DEMO_POLICY: PolicyInput = {
  perTxLimit: '1',
  dailyLimit: '5',
  requiresApproval: true,
  metadata: { approvalThreshold: '0.5' },
};

const AIRDROP_LAMPORTS = 10_000_000_000n; // 10 SOL
const LOW_BALANCE_LAMPORTS = 2_000_000_000n;

export interface DemoSetupResult {
  credentials: DemoCredentials;
  created: boolean;
  file: string;
  /** Why earlier credentials were replaced, if they were. */
  replacedReason?: string;
}

/** Loads the saved demo, checks it still works against this API, or creates a new one. */
export async function ensureDemo(
  state: StateDir,
  apiUrl: string,
  adminToken: string,
): Promise<DemoSetupResult> {
  const file = state.path(DEMO_CREDENTIALS_FILE);
  const saved = await state.readJson<DemoCredentials>(DEMO_CREDENTIALS_FILE);
  let replacedReason: string | undefined;
  if (saved !== null) {
    try {
      const agent = new WaiaasClient({ baseUrl: apiUrl, apiKey: saved.agent.apiKey });
      await agent.getWallet(saved.wallet.id);
      return { credentials: { ...saved, apiUrl }, created: false, file };
    } catch (e) {
      // A key the API no longer knows (another database, a wiped one): make a new demo.
      if (!isWaiaasApiError(e) || e.status === null || e.status >= 500) throw e;
      replacedReason = `the saved demo agent is refused by this API (${e.code})`;
    }
  }
  const operator = new WaiaasClient({ baseUrl: apiUrl, apiKey: adminToken });
  const email = `demo-${Date.now().toString(36)}@waiaas.local`;
  const { owner, apiKey: ownerKey } = await operator.createOwner({ email, name: 'Demo owner' });
  const ownerClient = operator.withApiKey(ownerKey);
  const { agent, apiKey: agentKey } = await ownerClient.createAgent({
    name: 'demo-agent',
    description: 'Created by pnpm start',
  });
  const { wallet } = await ownerClient.createWallet({ label: 'demo' });
  await ownerClient.setPolicy(wallet.id, DEMO_POLICY);
  await ownerClient.grantAgent(wallet.id, agent.id);
  const recipient = (await generateKeyPairSigner()).address;
  const credentials: DemoCredentials = {
    createdAt: new Date().toISOString(),
    apiUrl,
    owner: { id: owner.id, email, apiKey: ownerKey },
    agent: { id: agent.id, name: agent.name, apiKey: agentKey },
    wallet: { id: wallet.id, address: wallet.address },
    recipient,
    policy: DEMO_POLICY,
  };
  await state.writeJson(DEMO_CREDENTIALS_FILE, credentials);
  return {
    credentials,
    created: true,
    file,
    ...(replacedReason === undefined ? {} : { replacedReason }),
  };
}

/**
 * Tops the demo wallet up by airdrop when it holds less than 2 SOL. The local ledger keeps
 * its state in memory, so every start funds the wallet again.
 */
export async function fundDemoWallet(
  rpcUrl: string,
  walletAddress: string,
): Promise<{ funded: boolean; lamports: bigint }> {
  const rpc = createSolanaRpc(rpcUrl);
  const owner = address(walletAddress);
  const { value: before } = await rpc.getBalance(owner, { commitment: 'confirmed' }).send();
  if (before >= LOW_BALANCE_LAMPORTS) return { funded: false, lamports: before };
  const signature = await rpc
    .requestAirdrop(owner, lamports(AIRDROP_LAMPORTS), { commitment: 'confirmed' })
    .send();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status?.err) throw new Error(`airdrop failed: ${JSON.stringify(status.err)}`);
    if (status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized')
      break;
    if (Date.now() > deadline) throw new Error('airdrop not confirmed within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { value: after } = await rpc.getBalance(owner, { commitment: 'confirmed' }).send();
  return { funded: true, lamports: after };
}
