import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the bench creates through the API before measuring: an agent granted on `wallets`
 * funded wallets with a policy that allows the bench's transfers, and a funded recipient.
 *
 * @example
 * ```ts
 * const fixture: Fixture = await createFixture(apiUrl, rpcUrl, adminToken, 100);
 * ```
 */
export interface Fixture {
  agentKey: string;
  walletIds: string[];
  recipient: string;
}

/** A fresh Solana address for the recipient (the bench never signs for it). */
async function newAddress(): Promise<string> {
  const { generateKeyPairSigner } = await import('@solana/kit');
  return (await generateKeyPairSigner()).address;
}

async function call<T>(url: string, method: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${method} ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/**
 * One JSON-RPC call to the ledger.
 *
 * @example
 * ```ts
 * const signature = await rpc<string>(rpcUrl, 'requestAirdrop', [address, 1_000_000_000]);
 * ```
 */
export async function rpc<T>(rpcUrl: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/**
 * Creates, through the API as a user would, an owner, an agent, `wallets` wallets (policy:
 * 1 SOL per transfer, 1,000,000 SOL a day; the agent granted) funded with 10 SOL each on the
 * ledger, and a recipient that already exists on chain (a transfer to a fresh account below
 * its rent-exempt minimum would fail on chain).
 */
export async function createFixture(
  apiUrl: string,
  rpcUrl: string,
  adminToken: string,
  wallets: number,
): Promise<Fixture> {
  const owner = await call<{ apiKey: string }>(`${apiUrl}/v1/owners`, 'POST', adminToken, {
    email: 'bench@example.com',
  });
  const agent = await call<{ agent: { id: string }; apiKey: string }>(
    `${apiUrl}/v1/agents`,
    'POST',
    owner.apiKey,
    { name: 'bench-agent' },
  );
  const walletIds: string[] = [];
  const airdrops: string[] = [];
  const recipient = await newAddress();
  airdrops.push(await rpc<string>(rpcUrl, 'requestAirdrop', [recipient, 1_000_000_000]));
  for (let i = 0; i < wallets; i++) {
    const { wallet } = await call<{ wallet: { id: string; address: string } }>(
      `${apiUrl}/v1/wallets`,
      'POST',
      owner.apiKey,
      { label: `bench-${i}` },
    );
    await call(`${apiUrl}/v1/wallets/${wallet.id}/policy`, 'PUT', owner.apiKey, {
      perTxLimit: '1',
      dailyLimit: '1000000',
    });
    await call(`${apiUrl}/v1/wallets/${wallet.id}/agents/${agent.agent.id}`, 'PUT', owner.apiKey);
    airdrops.push(await rpc<string>(rpcUrl, 'requestAirdrop', [wallet.address, 10_000_000_000]));
    walletIds.push(wallet.id);
  }
  await waitConfirmed(rpcUrl, airdrops);
  return { agentKey: agent.apiKey, walletIds, recipient };
}

/**
 * Waits until every airdrop is confirmed. (The reads measured first take longer than the 32
 * slots to finality, should the API read balances at `finalized`.)
 */
async function waitConfirmed(rpcUrl: string, signatures: readonly string[]): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    let done = true;
    for (let i = 0; i < signatures.length && done; i += 256) {
      const { value } = await rpc<{ value: ({ confirmationStatus: string } | null)[] }>(
        rpcUrl,
        'getSignatureStatuses',
        [signatures.slice(i, i + 256)],
      );
      done = value.every(
        (s) => s?.confirmationStatus === 'confirmed' || s?.confirmationStatus === 'finalized',
      );
    }
    if (done) return;
    await sleep(500);
  }
  throw new Error('the fixture airdrops were not confirmed within 300 s');
}
