/** What the `waiaas-mcp` command runs, read from its environment and arguments. */
export type McpCliConfig =
  | { transport: 'stdio'; baseUrl: string; agentKey: string }
  | { transport: 'http'; baseUrl: string; port: number; host: string };

/** A configuration mistake, reported on stderr with the variable's name. */
export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
}

function baseUrlOf(env: NodeJS.ProcessEnv): string {
  const raw = env.WAIAAS_URL;
  if (raw === undefined || raw === '')
    throw new McpConfigError('WAIAAS_URL is required (e.g. http://127.0.0.1:3000)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new McpConfigError(`WAIAAS_URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new McpConfigError(`WAIAAS_URL must be http(s): ${raw}`);
  return raw;
}

/**
 * stdio (default): one agent, its key from `WAIAAS_AGENT_KEY`. `--http` (or
 * `WAIAAS_MCP_TRANSPORT=http`): Streamable HTTP on `WAIAAS_MCP_PORT` (default 3333) and
 * `WAIAAS_MCP_HOST` (default 127.0.0.1), each request with its own agent key.
 *
 * @example
 * ```ts
 * const config = loadMcpCliConfig(process.env, process.argv.slice(2));
 * ```
 */
export function loadMcpCliConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): McpCliConfig {
  const http = argv.includes('--http') || env.WAIAAS_MCP_TRANSPORT === 'http';
  const baseUrl = baseUrlOf(env);
  if (http) {
    const port = Number(env.WAIAAS_MCP_PORT ?? '3333');
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new McpConfigError(`WAIAAS_MCP_PORT must be a port number: ${env.WAIAAS_MCP_PORT}`);
    return { transport: 'http', baseUrl, port, host: env.WAIAAS_MCP_HOST ?? '127.0.0.1' };
  }
  const agentKey = env.WAIAAS_AGENT_KEY;
  if (agentKey === undefined || agentKey === '')
    throw new McpConfigError('WAIAAS_AGENT_KEY is required (the agent key the owner created)');
  return { transport: 'stdio', baseUrl, agentKey };
}
