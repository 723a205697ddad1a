#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadMcpCliConfig, McpConfigError } from './config.js';
import { startHttpServer } from './http.js';
import { createWaiaasMcpServer } from './server.js';

// stdout belongs to the MCP protocol in stdio mode: every human-readable line goes to stderr.
async function main(): Promise<void> {
  const config = loadMcpCliConfig(process.env, process.argv.slice(2));
  if (config.transport === 'stdio') {
    const server = createWaiaasMcpServer({ baseUrl: config.baseUrl, agentKey: config.agentKey });
    await server.connect(new StdioServerTransport());
    return;
  }
  const running = await startHttpServer(config);
  process.stderr.write(`waiaas-mcp: Streamable HTTP on ${running.url} (API ${config.baseUrl})\n`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(
    `waiaas-mcp: ${e instanceof McpConfigError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
