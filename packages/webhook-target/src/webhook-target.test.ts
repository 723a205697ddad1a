import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import {
  assertWebhookUrl,
  createWebhookFetch,
  isPublicAddress,
  isWebhookTargetError,
  type WebhookTargetProblem,
} from './index.js';

function problem(url: string, allowPrivate = false): WebhookTargetProblem | 'ok' {
  try {
    assertWebhookUrl(url, { allowPrivate });
    return 'ok';
  } catch (e) {
    if (isWebhookTargetError(e)) return e.problem;
    throw e;
  }
}

describe('assertWebhookUrl', () => {
  it.each([
    'http://127.0.0.1:3000/',
    'http://127.1/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://[fc00::1]/',
    'http://224.0.0.1/',
    'http://[ff02::1]/',
    'http://255.255.255.255/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::]/',
  ])('refuses the non-public address %s', (url) => {
    expect(problem(url)).toBe('PRIVATE_ADDRESS');
  });

  it.each([
    'http://localhost:5432/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata/',
    'http://printer.local/',
    'http://redis:6379/',
    'http://router.home.arpa/',
  ])('refuses the internal host name %s', (url) => {
    expect(problem(url)).toBe('INTERNAL_HOSTNAME');
  });

  it('refuses user info, other protocols and garbage, whatever the private setting', () => {
    for (const allowPrivate of [false, true]) {
      expect(problem('http://user:pass@hooks.example.com/', allowPrivate)).toBe('USERINFO');
      expect(problem('https://user@hooks.example.com/', allowPrivate)).toBe('USERINFO');
      expect(problem('ftp://hooks.example.com/', allowPrivate)).toBe('UNSUPPORTED_PROTOCOL');
      expect(problem('file:///etc/passwd', allowPrivate)).toBe('UNSUPPORTED_PROTOCOL');
      expect(problem('not a url', allowPrivate)).toBe('INVALID_URL');
    }
  });

  it('accepts public targets, and private ones only when allowed', () => {
    expect(problem('https://hooks.example.com/waiaas')).toBe('ok');
    expect(problem('http://93.184.216.34:8080/x')).toBe('ok');
    expect(problem('http://[2606:4700::1111]/')).toBe('ok');
    expect(problem('http://127.0.0.1:3000/hooks', true)).toBe('ok');
    expect(problem('http://localhost/', true)).toBe('ok');
  });
});

describe('isPublicAddress', () => {
  it('classifies literals', () => {
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('127.0.0.1')).toBe(false);
    expect(isPublicAddress('not-an-ip')).toBe(false);
  });
});

describe('createWebhookFetch', () => {
  async function listener(): Promise<{ port: number; hits: () => number; close: () => void }> {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      hits: () => hits,
      close: () => server.close(),
    };
  }
  const init = () => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(5_000),
    redirect: 'manual' as const,
  });

  it('never connects to a stored private URL (checked again at delivery)', async () => {
    const hook = await listener();
    try {
      const post = createWebhookFetch({ allowPrivate: false });
      const error = await post(`http://127.0.0.1:${hook.port}/`, init()).catch((e: unknown) => e);
      expect(isWebhookTargetError(error) && error.problem).toBe('PRIVATE_ADDRESS');
      expect(hook.hits()).toBe(0);
    } finally {
      hook.close();
    }
  });

  it('delivers to a private listener when the operator allows private targets', async () => {
    const hook = await listener();
    try {
      const post = createWebhookFetch({ allowPrivate: true });
      const response = await post(`http://127.0.0.1:${hook.port}/`, init());
      expect(response.status).toBe(204);
      expect(hook.hits()).toBe(1);
    } finally {
      hook.close();
    }
  });
});
