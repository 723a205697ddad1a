/**
 * `@waiaas/mcp` is an MCP server that gives an AI agent its WAIaaS wallets as tools: list
 * wallets, balance, evaluate a transfer, send a transfer (idempotent across model retries: the
 * caller's key is required), get / wait for / list transactions. Policy denials come back as
 * structured tool errors with every reason and the remaining daily budget. Run it as
 * `npx @waiaas/mcp` (stdio; `WAIAAS_URL`, `WAIAAS_AGENT_KEY`) or `--http` (Streamable HTTP,
 * the agent key per request), or embed it with {@link createWaiaasMcpServer}.
 */
export { createWaiaasMcpServer, type WaiaasMcpServerOptions } from './server.js';
export { registerWaiaasTools, type WaiaasToolsOptions } from './tools.js';
export { startHttpServer, type HttpServerOptions, type RunningHttpServer } from './http.js';
export { loadMcpCliConfig, McpConfigError, type McpCliConfig } from './config.js';
export { remainingDailyBudget, type RemainingDailyBudget } from './budget.js';
export type { ToolError } from './errors.js';
