/**
 * The real stack the MCP tests drive: PostgreSQL (a database of their own), the local Solana
 * ledger, the API (local keystore custody) and the confirmation worker, in this process; the
 * MCP server runs as a child process over stdio, as an MCP client would start it.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createSolanaRpc, generateKeyPairSigner, type Address } from '@solana/kit';
import { createApp, loadConfig } from '@waiaas/api';
import { WaiaasClient } from '@waiaas/client';
import { ConfirmationWorker, loadConfig as loadWorkerConfig } from '@waiaas/confirmation-worker';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { pino } from 'pino';

export interface Stack {
  baseUrl: string;
  ledger: LocalLedger;
  operator: WaiaasClient;
  close(): Promise<void>;
}

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startStack(): Promise<Stack> {
  const db: TestDatabase = await createTestDatabase();
  const ledger = await startLocalLedger({ port: 0, slotMs: 40 });
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  const app = await createApp(
    loadConfig({
      DATABASE_URL: db.url,
      SOLANA_RPC_URL: ledger.url,
      ADMIN_TOKEN: adminToken,
      WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
    }),
    { logger: silent },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('the API has no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const worker = await ConfirmationWorker.create({
    config: loadWorkerConfig(
      {
        DATABASE_URL: db.url,
        SOLANA_RPC_URL: ledger.url,
        POLL_INTERVAL_MS: '100',
        REBROADCAST_INTERVAL_MS: '250',
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        DATABASE_POOL_SIZE: '4',
        LOG_LEVEL: 'silent',
      },
      'mcp-test-worker',
    ),
    logger: silent,
    defaultMetrics: false,
  });
  await worker.start();
  return {
    baseUrl,
    ledger,
    operator: new WaiaasClient({ baseUrl, apiKey: adminToken }),
    close: async () => {
      await worker.stop();
      await app.close();
      await ledger.close();
      await db.drop();
    },
  };
}

/** An owner with one agent, and a way to give the agent funded wallets under a policy. */
export async function createAgent(stack: Stack) {
  const { apiKey: ownerKey } = await stack.operator.createOwner({
    email: `mcp-${randomBytes(6).toString('hex')}@example.com`,
  });
  const owner = stack.operator.withApiKey(ownerKey);
  const { agent, apiKey: agentKey } = await owner.createAgent({ name: 'mcp-agent' });
  return {
    owner,
    agentId: agent.id,
    agentKey,
    async wallet(policy: Parameters<WaiaasClient['setPolicy']>[1], fundLamports = 10_000_000_000n) {
      const { wallet } = await owner.createWallet({
        label: `mcp-${randomBytes(3).toString('hex')}`,
      });
      await owner.setPolicy(wallet.id, policy);
      await owner.grantAgent(wallet.id, agent.id);
      await stack.ledger.airdrop(wallet.address as Address, fundLamports);
      return wallet;
    },
  };
}

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Starts `waiaas-mcp` (from source) as a child process and connects the SDK's client to it over stdio. */
export async function connectStdio(env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=@waiaas/source', '--import=@swc-node/register/esm-register', 'src/cli.ts'],
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'waiaas-mcp-test', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

/** Calls a tool and returns its result with the structured content typed as `T`. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ isError: boolean; data: T; result: CallToolResult }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { isError: result.isError === true, data: result.structuredContent as T, result };
}

export async function newAddress(): Promise<Address> {
  return (await generateKeyPairSigner()).address;
}

export async function lamportsOf(ledgerUrl: string, address: Address): Promise<bigint> {
  const { value } = await createSolanaRpc(ledgerUrl)
    .getBalance(address, { commitment: 'processed' })
    .send();
  return value;
}
