import { describe, expect, it } from '@jest/globals';
import { loadMcpCliConfig, McpConfigError } from './config.js';

describe('loadMcpCliConfig', () => {
  const url = 'http://127.0.0.1:3000';

  it('runs stdio with the agent key from the environment', () => {
    expect(loadMcpCliConfig({ WAIAAS_URL: url, WAIAAS_AGENT_KEY: 'k' }, [])).toEqual({
      transport: 'stdio',
      baseUrl: url,
      agentKey: 'k',
    });
  });

  it('runs Streamable HTTP with --http or WAIAAS_MCP_TRANSPORT=http, without a key of its own', () => {
    expect(loadMcpCliConfig({ WAIAAS_URL: url }, ['--http'])).toEqual({
      transport: 'http',
      baseUrl: url,
      port: 3333,
      host: '127.0.0.1',
    });
    expect(
      loadMcpCliConfig(
        {
          WAIAAS_URL: url,
          WAIAAS_MCP_TRANSPORT: 'http',
          WAIAAS_MCP_PORT: '0',
          WAIAAS_MCP_HOST: '::1',
        },
        [],
      ),
    ).toMatchObject({ transport: 'http', port: 0, host: '::1' });
  });

  it.each([
    [{}, [], /WAIAAS_URL is required/],
    [{ WAIAAS_URL: 'not a url', WAIAAS_AGENT_KEY: 'k' }, [], /WAIAAS_URL is not a URL/],
    [{ WAIAAS_URL: 'ftp://host', WAIAAS_AGENT_KEY: 'k' }, [], /WAIAAS_URL must be http/],
    [{ WAIAAS_URL: url }, [], /WAIAAS_AGENT_KEY is required/],
    [{ WAIAAS_URL: url, WAIAAS_MCP_PORT: '70000' }, ['--http'], /WAIAAS_MCP_PORT/],
  ] as const)('names the variable that is wrong: %j %j', (env, argv, message) => {
    expect(() => loadMcpCliConfig(env, argv)).toThrow(McpConfigError);
    expect(() => loadMcpCliConfig(env, argv)).toThrow(message);
  });
});
