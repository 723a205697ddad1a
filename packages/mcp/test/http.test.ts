/**
 * `startHttpServer` (Streamable HTTP, stateless, the agent key per request) against the real
 * stack: refused without a key, the SDK's own client over HTTP, and the README's Vercel AI SDK
 * example driven by a scripted model that pays and waits for CONFIRMED.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import type { Transaction } from '@waiaas/client';
import { runWalletAgent } from '../examples/vercel-ai.js';
import { startHttpServer, type RunningHttpServer } from '../src/index.js';
import { createAgent, lamportsOf, newAddress, startStack, type Stack } from './stack.js';

// Each MCP server is a child process compiled from source at start; on a loaded machine that
// alone can take tens of seconds. Nothing here races a clock; this only bounds a hung run.
jest.setTimeout(180_000);

let stack: Stack;
let http: RunningHttpServer;

beforeAll(async () => {
  stack = await startStack();
  http = await startHttpServer({ baseUrl: stack.baseUrl, port: 0 });
});

afterAll(async () => {
  await http?.close();
  await stack?.close();
});

describe('Streamable HTTP', () => {
  it('refuses a request without an agent key (401), and methods other than POST (405)', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const anonymous = await fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(init),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(http.url)).status).toBe(405);
  });

  it("serves each request with the caller's own agent key", async () => {
    const alice = await createAgent(stack);
    const bob = await createAgent(stack);
    const alicesWallet = await alice.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const bobsWallet = await bob.wallet({ perTxLimit: '1', dailyLimit: '2' });

    const walletsOf = async (agentKey: string): Promise<string[]> => {
      const client = new Client({ name: 'http-test', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(http.url), {
          requestInit: { headers: { authorization: `Bearer ${agentKey}` } },
        }),
      );
      try {
        const result = (await client.callTool({
          name: 'list_wallets',
          arguments: {},
        })) as CallToolResult;
        return (result.structuredContent as { wallets: { id: string }[] }).wallets.map((w) => w.id);
      } finally {
        await client.close();
      }
    };
    expect(await walletsOf(alice.agentKey)).toEqual([alicesWallet.id]);
    expect(await walletsOf(bob.agentKey)).toEqual([bobsWallet.id]);

    const wrongKey = await walletsOf('not-a-key').catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(Error);
  });
});

/** The tool results the model has been given so far, by tool name. */
function toolResults(options: LanguageModelV3CallOptions): Map<string, unknown> {
  const results = new Map<string, unknown>();
  for (const message of options.prompt) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type === 'tool-result') results.set(part.toolName, part.output);
    }
  }
  return results;
}

/** The transaction id in a send_transfer result, read from the text the model is given. */
function transactionIdIn(output: unknown): string {
  const text = (output as { value?: { type: string; text?: string }[] }).value?.find(
    (part) => part.type === 'text',
  )?.text;
  const id = (JSON.parse(text ?? '{}') as { transaction?: { id?: string } }).transaction?.id;
  if (id === undefined) throw new Error(`no transaction in ${JSON.stringify(output)}`);
  return id;
}

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};

function toolCall(id: string, toolName: string, input: unknown): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'tool-call', toolCallId: id, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: undefined },
    usage,
    warnings: [],
  };
}

describe('Vercel AI SDK example', () => {
  it('runs a scripted model through the MCP tools: pays, waits for CONFIRMED, answers', async () => {
    const agent = await createAgent(stack);
    const wallet = await agent.wallet({ perTxLimit: '1', dailyLimit: '2' });
    const to = await newAddress();
    const seenTools: string[][] = [];

    const script = (options: LanguageModelV3CallOptions): LanguageModelV3GenerateResult => {
      seenTools.push((options.tools ?? []).map((t) => t.name).sort());
      const results = toolResults(options);
      if (!results.has('send_transfer'))
        return toolCall('call-1', 'send_transfer', {
          walletId: wallet.id,
          to,
          amount: '0.2',
          idempotencyKey: 'ai-sdk-invoice-7',
        });
      if (!results.has('wait_for_transaction'))
        return toolCall('call-2', 'wait_for_transaction', {
          transactionId: transactionIdIn(results.get('send_transfer')),
        });
      return {
        content: [{ type: 'text', text: 'Paid 0.2 SOL.' }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      };
    };
    const model = new MockLanguageModelV3({
      doGenerate: (options) => Promise.resolve(script(options)),
    });

    const result = await runWalletAgent({
      mcpUrl: http.url,
      agentKey: agent.agentKey,
      model,
      prompt: `Pay 0.2 SOL to ${to} from wallet ${wallet.id} for invoice 7.`,
    });

    expect(result.text).toBe('Paid 0.2 SOL.');
    expect(seenTools[0]).toEqual([
      'evaluate_transfer',
      'get_balance',
      'get_transaction',
      'list_transactions',
      'list_wallets',
      'send_transfer',
      'wait_for_transaction',
    ]);
    expect(result.toolResults.map((r) => r.toolName)).toEqual([
      'send_transfer',
      'wait_for_transaction',
    ]);
    const waited = result.toolResults.find((r) => r.toolName === 'wait_for_transaction');
    expect(JSON.stringify(waited?.output)).toContain('"status":"CONFIRMED"');
    expect(await lamportsOf(stack.ledger.url, to)).toBe(200_000_000n);
    const { transactions } = await agent.owner.listTransactions(wallet.id);
    expect(transactions.map((t: Transaction) => [t.status, t.amount])).toEqual([
      ['CONFIRMED', '0.2'],
    ]);
  });
});
