// The owner console's session at HTTP level: signing in exchanges an owner key for a cookie
// (HttpOnly, SameSite=Strict, expiring, Secure over https), the cookie stands in for the owner
// key on the console's routes only, mutations need the CSRF token and a same-origin request,
// and sign-out, expiry and a changed owner key end the session.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../src/app.factory.js';
import { CONSOLE_ROUTES } from '../src/console/console-routes.js';
import {
  ADMIN_TOKEN,
  call,
  type CallResult,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  type Harness,
  listen,
  startHarness,
} from './harness.js';

let h: Harness;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'waiaas-console-dist-'));
  await mkdir(join(dist, 'assets'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>WAIaaS console</title>');
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;
  await writeFile(join(dist, 'assets', 'index-Ab12Cd34.js'), script);
  await writeFile(join(dist, 'assets', 'index-Ab12Cd34.js.gz'), gzipSync(script));
  h = await startHarness({ TRUST_PROXY: 'true', CONSOLE_DIST_DIR: dist });
});

afterAll(async () => {
  await h?.close();
  await rm(dist, { recursive: true, force: true });
});

interface Session {
  cookie: string;
  csrfToken: string;
  setCookie: string;
  body: CallResult['body'];
}

async function signIn(ownerKey: string, headers: Record<string, string> = {}): Promise<Session> {
  const r = await call(h.app, 'POST', '/v1/console/session', { token: ownerKey, headers });
  expect(r.status).toBe(201);
  const setCookie = String(r.headers['set-cookie']);
  const cookie = setCookie.split(';')[0] ?? '';
  return { cookie, csrfToken: r.body.session.csrfToken, setCookie, body: r.body };
}

/** A request as the console page makes it: the cookie, same origin, CSRF token on mutations. */
function asConsole(
  session: Session,
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const origin = h.baseUrl;
  return call(h.app, method, url, {
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: {
      cookie: session.cookie,
      origin,
      'sec-fetch-site': 'same-origin',
      ...(method === 'GET' ? {} : { 'x-csrf-token': session.csrfToken }),
      ...options.headers,
    },
  });
}

function cookieAttributes(setCookie: string): Map<string, string> {
  return new Map(
    setCookie
      .split(';')
      .slice(1)
      .map((part) => {
        const [name, ...value] = part.trim().split('=');
        return [(name ?? '').toLowerCase(), value.join('=')];
      }),
  );
}

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict, expiring cookie scoped to the API and returns the CSRF token', async () => {
    const owner = await createOwner(h.app);
    const before = Date.now();
    const session = await signIn(owner.key);
    const attributes = cookieAttributes(session.setCookie);
    expect(session.cookie).toMatch(/^waiaas_console=[A-Za-z0-9_-]{43}$/);
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Strict');
    expect(attributes.get('path')).toBe('/v1');
    expect(attributes.get('max-age')).toBe(String(480 * 60));
    expect(attributes.has('secure')).toBe(false); // plain http
    const expires = Date.parse(attributes.get('expires') ?? '');
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 480 * 60_000);
    expect(session.body.session).toEqual({
      ownerId: owner.id,
      expiresAt: expect.any(String),
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // Only a hash of the token is stored.
    const rows = await h.prisma.consoleSession.findMany({ where: { ownerId: owner.id } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(session.cookie.split('=')[1]);
  });

  it('marks the cookie Secure when served over https (behind a trusted proxy)', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key, { 'x-forwarded-proto': 'https' });
    expect(cookieAttributes(session.setCookie).has('secure')).toBe(true);
  });

  it('needs the owner key itself: no cookie, agent key or unknown key signs in', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key);
    const agent = await createAgent(h.app, owner.key);
    expectProblem(
      await call(h.app, 'POST', '/v1/console/session', { headers: { cookie: session.cookie } }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(
      await call(h.app, 'POST', '/v1/console/session', { token: agent.key }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await call(h.app, 'POST', '/v1/console/session', { token: `waiaas_owner_${'x'.repeat(44)}` }),
      401,
      'INVALID_API_KEY',
    );
  });
});

describe('the session cookie', () => {
  it('acts as the owner on console routes, and nowhere else', async () => {
    const owner = await createOwner(h.app);
    const other = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key);
    await createWallet(h.app, other.key);
    const session = await signIn(owner.key);

    const wallets = await asConsole(session, 'GET', '/v1/wallets');
    expect(wallets.status).toBe(200);
    expect((wallets.body.wallets as { id: string }[]).map((w) => w.id)).toEqual([wallet.id]);

    const current = await asConsole(session, 'GET', '/v1/console/session');
    expect(current.status).toBe(200);
    expect(current.body.session).toEqual(session.body.session);
    // A page that has not signed in asks the same question: no session, and no error.
    const none = await call(h.app, 'GET', '/v1/console/session');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ session: null });

    // Not a console route: the cookie is ignored, as if nobody had called.
    expectProblem(
      await asConsole(session, 'POST', `/v1/wallets/${wallet.id}/transfers/evaluate`, {
        body: { to: wallet.address, amount: '0.1' },
      }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(
      await asConsole(session, 'POST', '/v1/owners', { body: { email: 'x@example.com' } }),
      401,
      'UNAUTHENTICATED',
    );
    // A bearer key still works beside it, and wins.
    const agent = await createAgent(h.app, owner.key);
    const asAgent = await call(h.app, 'GET', '/v1/wallets', {
      token: agent.key,
      headers: { cookie: session.cookie },
    });
    expect(asAgent.status).toBe(200);
    expect(asAgent.body.wallets).toEqual([]);
  });

  it('every console route exists', () => {
    const fastify = h.app.getHttpAdapter().getInstance();
    const missing = [...CONSOLE_ROUTES].filter((route) => {
      const [method, url] = route.split(' ');
      return !fastify.hasRoute({ method: method as 'GET', url: url ?? '' });
    });
    expect(missing).toEqual([]);
  });
});

describe('CSRF', () => {
  it('refuses a mutation without, or with a wrong, CSRF token, or from another origin: 403 problem, nothing changed', async () => {
    const owner = await createOwner(h.app);
    const agent = await createAgent(h.app, owner.key);
    const session = await signIn(owner.key);
    const other = await signIn(owner.key);
    const suspend = (headers: Record<string, string>) =>
      asConsole(session, 'PATCH', `/v1/agents/${agent.id}`, {
        body: { status: 'SUSPENDED' },
        headers,
      });

    const noToken = await call(h.app, 'PATCH', `/v1/agents/${agent.id}`, {
      body: { status: 'SUSPENDED' },
      headers: { cookie: session.cookie },
    });
    expectProblem(noToken, 403, 'CSRF_REJECTED');
    expect(noToken.body.detail).toContain('X-CSRF-Token');
    // Another session's token is not this session's.
    expectProblem(await suspend({ 'x-csrf-token': other.csrfToken }), 403, 'CSRF_REJECTED');
    expectProblem(await suspend({ origin: 'https://evil.example' }), 403, 'CSRF_REJECTED');
    expectProblem(await suspend({ origin: 'null' }), 403, 'CSRF_REJECTED');
    const crossSite = await call(h.app, 'PATCH', `/v1/agents/${agent.id}`, {
      body: { status: 'SUSPENDED' },
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrfToken,
        'sec-fetch-site': 'cross-site',
      },
    });
    expectProblem(crossSite, 403, 'CSRF_REJECTED');
    expect((await h.prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe(
      'ACTIVE',
    );

    const ok = await suspend({});
    expect(ok.status).toBe(200);
    expect(ok.body.agent.status).toBe('SUSPENDED');
  });

  it('reads need no CSRF token', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key);
    const r = await call(h.app, 'GET', '/v1/agents', { headers: { cookie: session.cookie } });
    expect(r.status).toBe(200);
  });
});

describe('the end of a session', () => {
  it('sign-out deletes the session server-side and clears the cookie; the old cookie is refused', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key);
    const kept = await signIn(owner.key);

    expectProblem(
      await call(h.app, 'DELETE', '/v1/console/session', { headers: { cookie: session.cookie } }),
      403,
      'CSRF_REJECTED',
    );
    const out = await asConsole(session, 'DELETE', '/v1/console/session');
    expect(out.status).toBe(204);
    const cleared = cookieAttributes(String(out.headers['set-cookie']));
    expect(String(out.headers['set-cookie'])).toMatch(/^waiaas_console=;/);
    expect(cleared.get('max-age')).toBe('0');

    const after = await asConsole(session, 'GET', '/v1/wallets');
    expectProblem(after, 401, 'UNAUTHENTICATED');
    expect(String(after.headers['set-cookie'])).toMatch(/^waiaas_console=;.*Max-Age=0/);
    const probe = await asConsole(session, 'GET', '/v1/console/session');
    expect(probe.body).toEqual({ session: null });
    expect(String(probe.headers['set-cookie'])).toMatch(/^waiaas_console=;.*Max-Age=0/);
    expect(await h.prisma.consoleSession.count({ where: { ownerId: owner.id } })).toBe(1);
    // Other sessions of the same owner are untouched.
    expect((await asConsole(kept, 'GET', '/v1/wallets')).status).toBe(200);
  });

  it('an expired session is refused', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key);
    await h.prisma.consoleSession.updateMany({
      where: { ownerId: owner.id },
      data: { createdAt: new Date(Date.now() - 60_000), expiresAt: new Date(Date.now() - 1) },
    });
    expectProblem(await asConsole(session, 'GET', '/v1/wallets'), 401, 'UNAUTHENTICATED');
  });

  it('a changed owner key ends every session made with the old one', async () => {
    const owner = await createOwner(h.app);
    const session = await signIn(owner.key);
    await h.prisma.owner.update({
      where: { id: owner.id },
      data: { apiKeyHash: randomBytes(32).toString('hex') },
    });
    expectProblem(await asConsole(session, 'GET', '/v1/wallets'), 401, 'UNAUTHENTICATED');
  });

  it('rotating the owner key, or the operator revoking the owner, ends its sessions', async () => {
    const rotating = await createOwner(h.app);
    const rotatingSession = await signIn(rotating.key);
    const rotated = await call(h.app, 'POST', '/v1/owners/me/rotate-key', {
      token: rotating.key,
    });
    expect(rotated.status).toBe(200);
    expectProblem(await asConsole(rotatingSession, 'GET', '/v1/wallets'), 401, 'UNAUTHENTICATED');

    const revoked = await createOwner(h.app);
    const revokedSession = await signIn(revoked.key);
    expect((await asConsole(revokedSession, 'GET', '/v1/wallets')).status).toBe(200);
    const revocation = await call(h.app, 'PATCH', `/v1/owners/${revoked.id}`, {
      token: ADMIN_TOKEN,
      body: { status: 'REVOKED' },
    });
    expect(revocation.status).toBe(200);
    expectProblem(await asConsole(revokedSession, 'GET', '/v1/wallets'), 401, 'UNAUTHENTICATED');
  });

  it('a malformed or unknown cookie is just unauthenticated', async () => {
    for (const cookie of ['waiaas_console=short', `waiaas_console=${'A'.repeat(43)}`]) {
      const r = await call(h.app, 'GET', '/v1/wallets', { headers: { cookie } });
      expectProblem(r, 401, 'UNAUTHENTICATED');
    }
  });
});

describe('serving the console', () => {
  it('redirects / to /console/ and serves index.html revalidated, assets immutable, with a strict CSP', async () => {
    const root = await fetch(`${h.baseUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');

    const index = await fetch(`${h.baseUrl}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('WAIaaS console');

    const asset = await fetch(`${h.baseUrl}/console/assets/index-Ab12Cd34.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toContain('xxxx');
  });

  it('answers the console page for its own routes, and a 404 problem for a missing file', async () => {
    const route = await fetch(`${h.baseUrl}/console/wallets/123`);
    expect(route.status).toBe(200);
    expect(route.headers.get('cache-control')).toBe('no-cache');
    expect(await route.text()).toContain('WAIaaS console');

    for (const path of ['/console/assets/missing-00000000.js', '/console/favicon.ico']) {
      const missing = await fetch(`${h.baseUrl}${path}`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await missing.json()) as { code: string }).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('without a build, /console answers a 404 problem that says how to build it', async () => {
    let app: NestFastifyApplication | undefined;
    try {
      app = await createApp({
        ...h.config,
        console: { ...h.config.console, distDir: join(dist, 'not-built') },
      });
      const base = await listen(app);
      for (const path of ['/console/', '/console/wallets/1']) {
        const r = await fetch(`${base}${path}`);
        expect(r.status).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await r.json()) as { code: string; detail: string };
        expect(problem.code).toBe('NOT_FOUND');
        expect(problem.detail).toContain('pnpm build');
      }
    } finally {
      await app?.close();
    }
  });
});
