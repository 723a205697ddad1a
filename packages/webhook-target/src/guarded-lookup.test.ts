import { createServer } from 'node:http';
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { Agent, fetch } from 'undici';
import { createGuardedLookup, isWebhookTargetError } from './index.js';

/**
 * A resolver that answers like a rebinding attacker's DNS server: a public address when the
 * URL was registered, the loopback address when the worker connects.
 */
function resolverAnswering(address: string, family: 4 | 6) {
  return ((_host: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) =>
    callback(null, [{ address, family }])) as unknown as typeof dnsLookup;
}

describe('createGuardedLookup (DNS rebinding)', () => {
  it('refuses to connect when the name resolves to a non-public address at delivery', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const dispatcher = new Agent({
        connect: { lookup: createGuardedLookup(resolverAnswering('127.0.0.1', 4)) },
      });
      const error = await fetch(`http://hooks.example.com:${port}/`, {
        method: 'POST',
        body: '{}',
        dispatcher,
      }).catch((e: unknown) => e);
      const cause = (error as { cause?: unknown }).cause;
      expect(isWebhookTargetError(cause) && cause.problem).toBe('PRIVATE_ADDRESS');
      expect(hits).toBe(0);

      // The same name resolving to a public address is let through to the socket (which then
      // connects to exactly that address: here nothing listens there, so it fails differently).
      const lookup = createGuardedLookup(resolverAnswering('192.0.2.1', 4));
      const answer = await new Promise<unknown>((resolve) =>
        lookup('hooks.example.com', { all: true }, (e, a) => resolve(e ?? a)),
      );
      // 192.0.2.0/24 is TEST-NET-1 (documentation): not public either.
      expect(isWebhookTargetError(answer)).toBe(true);
      const publicLookup = createGuardedLookup(resolverAnswering('93.184.216.34', 4));
      const publicAnswer = await new Promise<unknown>((resolve) =>
        publicLookup('hooks.example.com', { all: true }, (e, a) => resolve(e ?? a)),
      );
      expect(publicAnswer).toEqual([{ address: '93.184.216.34', family: 4 }]);
    } finally {
      server.close();
    }
  });
});
