import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WaiaasClient } from '@waiaas/client';
import { registerWaiaasTools, type WaiaasToolsOptions } from './tools.js';
import { VERSION } from './version.js';

/** Options of {@link createWaiaasMcpServer}. */
export interface WaiaasMcpServerOptions extends WaiaasToolsOptions {
  /** Base URL of the WAIaaS API, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The agent key every tool call uses. */
  agentKey: string;
  /** Per-request timeout of API calls in ms (default 30 000). */
  timeoutMs?: number;
}

/**
 * An MCP server exposing the WAIaaS agent tools for one agent key; connect it to any transport.
 *
 * @example
 * ```ts
 * const server = createWaiaasMcpServer({ baseUrl: 'http://127.0.0.1:3000', agentKey });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createWaiaasMcpServer(options: WaiaasMcpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'waiaas', version: VERSION },
    {
      instructions:
        "Solana wallets of one WAIaaS agent. Every transfer is checked against the owner's policy before it is signed. " +
        'Call evaluate_transfer to check a payment first; give send_transfer an idempotencyKey chosen once per payment and reuse it on retries; ' +
        'then wait_for_transaction until CONFIRMED. AWAITING_APPROVAL means the owner must approve: do not resend.',
    },
  );
  const client = new WaiaasClient({
    baseUrl: options.baseUrl,
    apiKey: options.agentKey,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  registerWaiaasTools(server, client, options);
  return server;
}
