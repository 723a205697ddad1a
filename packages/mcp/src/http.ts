import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createWaiaasMcpServer } from './server.js';
import type { WaiaasToolsOptions } from './tools.js';

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions extends WaiaasToolsOptions {
  /** Base URL of the WAIaaS API. */
  baseUrl: string;
  /** Port to listen on (0: any free port). */
  port: number;
  /** Interface to bind (default 127.0.0.1: the MCP endpoint is not meant for the open network). */
  host?: string;
  /** Path of the MCP endpoint (default `/mcp`). */
  path?: string;
}

/** A running Streamable HTTP MCP endpoint. */
export interface RunningHttpServer {
  /** The endpoint's URL, e.g. `http://127.0.0.1:3333/mcp`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

function sendJsonRpcError(res: ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Serves the WAIaaS tools over MCP Streamable HTTP, stateless: every POST carries the caller's
 * agent key (`Authorization: Bearer <agent key>`), which is passed through to the API, so one
 * endpoint serves many agents and holds no credential of its own. The API checks the key on
 * every call; this server never stores or logs it.
 *
 * @example
 * ```ts
 * const { url, close } = await startHttpServer({ baseUrl: 'http://127.0.0.1:3000', port: 3333 });
 * ```
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const path = options.path ?? '/mcp';
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) sendJsonRpcError(res, 500, 'internal error');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      sendJsonRpcError(res, 404, 'not found');
      return;
    }
    // Stateless mode has no session to stream to (GET) or to end (DELETE).
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJsonRpcError(res, 405, 'method not allowed');
      return;
    }
    const agentKey = bearerOf(req);
    if (agentKey === undefined) {
      res.setHeader('www-authenticate', 'Bearer');
      sendJsonRpcError(res, 401, 'an agent key is required: Authorization: Bearer <agent key>');
      return;
    }
    const mcp = createWaiaasMcpServer({ ...options, agentKey });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${path}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
