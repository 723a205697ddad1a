import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test controls, put between an app and a shared server (PostgreSQL, Redis) to
 * fault that server for this app only, never for the other runs that share it.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * const url = db.url.replace(':5432/', `:${proxy.port}/`);
 * proxy.pause();   // like SIGSTOP: connections stay open, nothing moves
 * proxy.resume();
 * await proxy.cut(); // like a crash: every connection dropped, new ones refused
 * await proxy.restore();
 * ```
 */
export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  readonly port: number;
  /** Stops forwarding in both directions without closing anything (a stalled server). */
  pause(): void;
  /** Forwards again, including what was held back. */
  resume(): void;
  /** Drops every connection and refuses new ones (a crashed or restarting server). */
  cut(): Promise<void>;
  /** Accepts connections again on the same port (the server is back). */
  restore(): Promise<void>;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Starts a {@link TcpProxy} on a free 127.0.0.1 port forwarding to `target`.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
 * ```
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let paused = false;
  let server: Server;

  const onConnection = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // Manual forwarding (not pipe()): pause() must hold data back, and pipe() resumes on drain.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
    if (paused) {
      client.pause();
      upstream.pause();
    }
  };

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer(onConnection);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));

  const port = await listen(0);
  return {
    port,
    get connections() {
      return pairs.size;
    },
    pause() {
      paused = true;
      for (const [a, b] of pairs) {
        a.pause();
        b.pause();
      }
    },
    resume() {
      paused = false;
      for (const [a, b] of pairs) {
        a.resume();
        b.resume();
      }
    },
    async cut() {
      const closed = stopListening();
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      await closed;
    },
    async restore() {
      await listen(port);
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      if (server.listening) await stopListening();
    },
  };
}
