// The owner console end to end, in a real browser (Debian's Chromium driven by playwright-core)
// against the real stack: the API serving the built console (apps/console/dist), PostgreSQL,
// Redis, the local Solana ledger and the confirmation worker. An owner signs in, sees a wallet,
// sets a policy (a validation error first), watches an agent's transfers arrive, approves one
// to CONFIRMED and rejects another, sets a webhook, manages agents, and signs out.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, loadConfig } from '@waiaas/api';
import { isWaiaasApiError, WaiaasClient } from '@waiaas/client';
import { ConfirmationWorker, loadConfig as loadWorkerConfig } from '@waiaas/confirmation-worker';
import { type LocalLedger, startLocalLedger } from '@waiaas/local-ledger';
import {
  createTestDatabase,
  createTestRedis,
  type TestDatabase,
  type TestRedis,
} from '@waiaas/testing';
import { pino } from 'pino';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type ConsoleMessage,
  type Page,
} from 'playwright-core';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots for the READMEs are written into the repository only when asked to. */
const SCREENSHOTS =
  process.env.TEST_UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../docs', import.meta.url))
    : join(tmpdir(), 'waiaas-console-screenshots');
const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const ADMIN_TOKEN = `admin-${randomBytes(24).toString('hex')}`;
const WAIT = { timeout: 30_000 };

let db: TestDatabase;
let redis: TestRedis;
let ledger: LocalLedger;
let app: Awaited<ReturnType<typeof createApp>>;
let worker: ConfirmationWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let baseUrl: string;
let hooks: Server;
const hookBodies: string[] = [];
const problems: string[] = [];
const expectedFailures: string[] = [];

let owner: WaiaasClient;
let ownerKey: string;
let agent: WaiaasClient;
let agentId: string;
let walletId: string;

function watch(p: Page): void {
  p.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  p.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = `${message.type()}: ${message.text()} (${message.location().url})`;
    // The browser itself logs every non-2xx response; the test lists the ones it causes on purpose.
    const expected = expectedFailures.findIndex((pattern) => text.includes(pattern));
    if (expected >= 0) expectedFailures.splice(expected, 1);
    else problems.push(text);
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  if (!existsSync(join(DIST, 'index.html')))
    throw new Error(`The console is not built (${DIST}): run pnpm --filter @waiaas/console build`);

  db = await createTestDatabase();
  redis = createTestRedis();
  ledger = await startLocalLedger({ port: 0, slotMs: 50 });
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    SOLANA_RPC_URL: ledger.url,
    ADMIN_TOKEN,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    CONSOLE_DIST_DIR: DIST,
    // The test's webhook receiver listens on loopback, as in local development.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  });
  app = await createApp(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  worker = await ConfirmationWorker.create({
    config: loadWorkerConfig(
      {
        DATABASE_URL: db.url,
        SOLANA_RPC_URL: ledger.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        POLL_INTERVAL_MS: '200',
        REBROADCAST_INTERVAL_MS: '500',
        WEBHOOK_BACKOFF_BASE_MS: '50',
        WEBHOOK_BACKOFF_MAX_MS: '500',
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        DATABASE_POOL_SIZE: '4',
        LOG_LEVEL: 'silent',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      },
      'console-e2e-worker',
    ),
    logger: pino({ level: 'silent' }),
    defaultMetrics: false,
  });
  await worker.start();

  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hookBodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));

  // The world an owner finds: an agent and a funded wallet granted to it, no policy yet.
  const operator = new WaiaasClient({ baseUrl, apiKey: ADMIN_TOKEN });
  ({ apiKey: ownerKey } = await operator.createOwner({ email: 'console-e2e@example.com' }));
  owner = operator.withApiKey(ownerKey);
  const created = await owner.createAgent({ name: 'trading-bot' });
  agentId = created.agent.id;
  agent = operator.withApiKey(created.apiKey);
  walletId = (await owner.createWallet({ label: 'treasury' })).wallet.id;
  await owner.grantAgent(walletId, agentId);
  const { wallet } = await owner.getWallet(walletId);
  await ledger.airdrop(wallet.address as never, 10_000_000_000n);

  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  page = await context.newPage();
  watch(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await app?.close();
  await new Promise<void>((resolve) => (hooks ? hooks.close(() => resolve()) : resolve()));
  await ledger?.close();
  await redis?.cleanup();
  await db?.drop();
});

const nav = (name: string | RegExp) => page.getByRole('navigation').getByRole('link', { name });

describe('the owner console', () => {
  it('loads fast from the API (measured in the browser) and answers / with the console', async () => {
    // Twice, each in a fresh browser context (empty cache): the first request of a just-started
    // server, then a warm one.
    for (const server of ['cold', 'warm']) {
      const fresh = await browser.newContext();
      const first = await fresh.newPage();
      watch(first);
      await first.goto(`${baseUrl}/`);
      expect(first.url()).toBe(`${baseUrl}/console/`);
      await first.getByLabel('Owner key').waitFor(WAIT);
      const timing = await first.evaluate(() => {
        const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        return {
          ttfb: entry.responseStart - entry.startTime,
          domContentLoaded: entry.domContentLoadedEventEnd - entry.startTime,
          load: entry.loadEventEnd - entry.startTime,
          transferred:
            entry.transferSize + resources.reduce((sum, r) => sum + (r.transferSize ?? 0), 0),
        };
      });
      console.log(
        `console first load (${server} server, empty browser cache, served by the API): first byte ${timing.ttfb.toFixed(0)} ms, DOMContentLoaded ${timing.domContentLoaded.toFixed(0)} ms, load ${timing.load.toFixed(0)} ms, ${timing.transferred} bytes transferred`,
      );
      expect(timing.load).toBeGreaterThan(0);
      await fresh.close();
    }
  });

  it('signs in with the owner key, by keyboard, and keeps no key in web storage', async () => {
    await page.goto(`${baseUrl}/console/`);
    await page.getByLabel('Owner key').waitFor(WAIT);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('owner-key');
    await page.keyboard.type(ownerKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor(WAIT);

    const cookie = (await context.cookies()).find((c) => c.name === 'waiaas_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/v1' });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
    const storage = await page.evaluate(() =>
      JSON.stringify({ ...localStorage, ...sessionStorage }),
    );
    expect(storage).not.toContain(ownerKey);
    expect(await page.evaluate(() => document.cookie)).not.toContain('waiaas_console');
  });

  it('shows the wallet with its balance', async () => {
    const card = page.getByTestId('wallet-card').filter({ hasText: 'treasury' });
    await card.waitFor(WAIT);
    await card.getByTestId('balance').filter({ hasText: /^10$/ }).waitFor(WAIT);
    await card.getByText('No policy: this wallet cannot send anything.').waitFor(WAIT);
  });

  it('sets a policy: a field-level error from the API first, then a valid one', async () => {
    await page.getByRole('link', { name: 'treasury' }).click();
    await page.getByRole('heading', { name: /^Policy/ }).waitFor(WAIT);
    const form = page.locator('form.policy-form');
    await form.locator('input[name=perTxLimit]').fill('1.5.0');
    await form.locator('input[name=dailyLimit]').fill('5');
    expectedFailures.push('status of 400');
    await form.getByRole('button', { name: 'Save policy' }).click();
    const error = form.locator('[data-field=perTxLimit]');
    await error.waitFor(WAIT);
    expect(await error.textContent()).toMatch(/decimal/);
    expect(await form.locator('input[name=perTxLimit]').getAttribute('aria-invalid')).toBe('true');
    await expect(owner.getPolicy(walletId)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await form.locator('input[name=perTxLimit]').fill('1');
    await form.locator('input[name=requiresApproval]').check();
    await form.locator('input[name=approvalThreshold]').fill('0.5');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved: policy version 1.').waitFor(WAIT);
    // Still there once the page has reloaded the saved policy (the editor is remounted).
    await page.getByRole('heading', { name: 'Policy version 1' }).waitFor(WAIT);
    await page.getByText('Saved: policy version 1.').waitFor({ ...WAIT, timeout: 1_000 });
    expect(await form.locator('[data-field]').count()).toBe(0);
    const { policy } = await owner.getPolicy(walletId);
    expect(policy).toMatchObject({
      perTxLimit: '1',
      dailyLimit: '5',
      requiresApproval: true,
      metadata: { approvalThreshold: '0.5' },
    });
  });

  it("shows an agent's transfers arriving in the approvals inbox without a reload", async () => {
    await nav(/^Approvals/).click();
    await page.getByTestId('inbox-empty').waitFor(WAIT);
    const small = await agent.createTransfer(walletId, { to: RECIPIENT, amount: '0.2' });
    expect(small.transaction.status).toBe('PENDING');
    const big = await agent.createTransfer(walletId, {
      to: RECIPIENT,
      amount: '0.8',
      memo: 'invoice 7',
    });
    const bigger = await agent.createTransfer(walletId, { to: RECIPIENT, amount: '0.9' });
    expect([big.transaction.status, bigger.transaction.status]).toEqual([
      'AWAITING_APPROVAL',
      'AWAITING_APPROVAL',
    ]);
    const items = page.getByTestId('approval');
    await items.nth(1).waitFor(WAIT);
    expect(await items.count()).toBe(2);
    const item = page.locator(`[data-transaction-id="${big.transaction.id}"]`);
    const text = await item.textContent();
    expect(text).toContain('0.8 SOL');
    expect(text).toContain(RECIPIENT);
    // When the request expires (24 h after it was asked for, by default).
    expect(big.transaction.expiresAt).not.toBeNull();
    expect(await item.getByTestId('expires').textContent()).toMatch(/\(in \d+ h\)/);
    expect(text).toContain('trading-bot');
    expect(text).toContain('APPROVAL_REQUIRED');
    expect(text).toContain('invoice 7');
    expect(text).toMatch(/\d+ s ago/);
    await nav(/^Approvals 2 awaiting/).waitFor(WAIT); // the badge in the navigation
    await page.screenshot({ path: join(SCREENSHOTS, 'approvals.png'), fullPage: true });

    // Approve by keyboard: the confirm button has focus in the dialog.
    await item.getByRole('button', { name: 'Approve' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Approve this transfer?' }).waitFor(WAIT);
    await page.keyboard.press('Enter');
    await page.getByText(/Approved: 0\.8 SOL .* is now PENDING\./).waitFor(WAIT);

    // Reject the other: Escape cancels, then confirm with a click.
    const other = page.locator(`[data-transaction-id="${bigger.transaction.id}"]`);
    await other.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('dialog', { name: 'Reject this transfer?' }).waitFor(WAIT);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached', ...WAIT });
    expect((await owner.getTransaction(bigger.transaction.id)).transaction.status).toBe(
      'AWAITING_APPROVAL',
    );
    await other.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject transfer' }).click();
    await page.getByText(/Rejected: 0\.9 SOL .* is now REJECTED\./).waitFor(WAIT);
    await page.getByTestId('inbox-empty').waitFor(WAIT);

    // The wallet page follows the approved transfer to CONFIRMED, with its explorer link.
    await nav('Overview').click();
    await page.getByRole('link', { name: 'treasury' }).click();
    const approved = page.locator(
      `[data-testid=transaction][data-transaction-id="${big.transaction.id}"]`,
    );
    await approved.and(page.locator('[data-status=CONFIRMED]')).waitFor({ timeout: 90_000 });
    const timeline = await approved.locator('.timeline').textContent();
    expect(timeline).toMatch(/AWAITING APPROVAL.*PENDING.*SUBMITTED.*CONFIRMED/);
    const { transaction } = await owner.getTransaction(big.transaction.id);
    expect(transaction.status).toBe('CONFIRMED');
    const href = await approved.getByTestId('explorer-link').getAttribute('href');
    expect(href).toBe(
      `https://explorer.solana.com/tx/${transaction.signature}?cluster=custom&customUrl=${encodeURIComponent(ledger.url)}`,
    );
    await page
      .locator(`[data-transaction-id="${bigger.transaction.id}"][data-status=REJECTED]`)
      .waitFor(WAIT);
    // Spend: 0.2 + 0.8 and their network fees (5,000 lamports each) count; the rejected 0.9 does not.
    await page.getByRole('meter', { name: 'SOL: 1.00001 of 5 today' }).waitFor(WAIT);
    expect(await page.locator('.chart rect.bar').count()).toBe(7);

    await nav('Overview').click();
    await page
      .getByTestId('wallet-card')
      .getByRole('meter', { name: 'SOL: 1.00001 of 5 today' })
      .waitFor(WAIT);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  it('sets the webhook, shows the signing secret once, and lists deliveries', async () => {
    await nav('Webhook').click();
    await page
      .locator('input[name=url]')
      .fill(`http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`);
    await page.getByRole('button', { name: 'Save webhook' }).click();
    const secret = await page.getByTestId('secret-value').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('secret-value').count()).toBe(0);

    const sent = await agent.createTransfer(walletId, { to: RECIPIENT, amount: '0.1' });
    await agent.waitForTransaction(sent.transaction.id, {
      until: ['CONFIRMED'],
      timeoutMs: 60_000,
    });
    await page
      .getByTestId('delivery')
      .filter({ hasText: 'DELIVERED' })
      .first()
      .waitFor({ timeout: 60_000 });
    expect(hookBodies.length).toBeGreaterThan(0);
  });

  it('freezes the wallet (transfers refused, confirmed in a dialog) and unfreezes it', async () => {
    await page.goto(`${baseUrl}/console/wallets/${walletId}`);
    await page.getByRole('button', { name: 'Freeze wallet' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Freeze' }).click();
    await page.getByText(/^Frozen since/).waitFor(WAIT);
    await expect(
      agent.createTransfer(walletId, { to: RECIPIENT, amount: '0.1' }),
    ).rejects.toMatchObject({ status: 403, code: 'WALLET_FROZEN' });
    expect((await owner.getWallet(walletId)).wallet.frozen).toBe(true);
    await page.getByRole('button', { name: 'Unfreeze wallet' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unfreeze' }).click();
    await page.getByText('Not frozen.').waitFor(WAIT);
    expect((await owner.getWallet(walletId)).wallet.frozen).toBe(false);
  });

  it('creates an agent (key shown once, copied), rotates a key, suspends an agent', async () => {
    await nav('Agents').click();
    await page.getByLabel('New agent name').fill('reporting-bot');
    await page.getByRole('button', { name: 'Create agent' }).click();
    const key = await page.getByTestId('secret-value').textContent();
    expect(key).toMatch(/^waiaas_agent_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor(WAIT);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await page.getByRole('button', { name: 'Done' }).click();
    const reporting = new WaiaasClient({ baseUrl, apiKey: key ?? '' });
    expect((await reporting.listWallets()).wallets).toEqual([]);

    const card = (name: string) => page.locator(`[data-testid=agent][data-agent-name="${name}"]`);
    await card('reporting-bot').getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    const rotated = await page.getByTestId('secret-value').textContent();
    expect(rotated).toMatch(/^waiaas_agent_/);
    expect(rotated).not.toBe(key);
    await expect(reporting.listWallets()).rejects.toMatchObject({ status: 401 });
    await page.getByRole('button', { name: 'Done' }).click();

    await card('trading-bot').getByRole('button', { name: 'Suspend' }).click();
    await card('trading-bot').getByText('SUSPENDED').waitFor(WAIT);
    const refused = await agent
      .createTransfer(walletId, { to: RECIPIENT, amount: '0.1' })
      .catch((e: unknown) => e);
    expect(isWaiaasApiError(refused, 'AGENT_SUSPENDED')).toBe(true);
  });

  it('creates a read-only key for an agent (shown once), lists it, and revokes it', async () => {
    await nav('Agents').click();
    const card = page.locator('[data-testid=agent][data-agent-name="reporting-bot"]');
    await card.getByText('Keys', { exact: true }).click();
    await card.locator('[data-testid=agent-key]').first().waitFor(WAIT); // the primary key
    await card.getByLabel('Key name').fill('ci-reader');
    await card.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('secret-value').textContent();
    expect(secret).toMatch(/^waiaas_agent_/);
    await page.getByRole('button', { name: 'Done' }).click();
    const item = card.locator('[data-testid=agent-key][data-key-name="ci-reader"]');
    await item.getByText('ACTIVE').waitFor(WAIT);
    expect(await card.textContent()).not.toContain(secret);

    const reader = new WaiaasClient({ baseUrl, apiKey: secret ?? '' });
    expect((await reader.listWallets()).wallets).toEqual([]);
    const refused = await reader
      .createTransfer(walletId, { to: RECIPIENT, amount: '0.1' })
      .catch((e: unknown) => e);
    expect(isWaiaasApiError(refused, 'AGENT_KEY_SCOPE')).toBe(true);

    await item.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await item.getByText('REVOKED').waitFor(WAIT);
    await expect(reader.listWallets()).rejects.toMatchObject({ status: 401 });
  });

  it('works at 375 px wide', async () => {
    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 375, height: 812 });
    for (const path of [
      '/console/',
      '/console/approvals',
      `/console/wallets/${walletId}`,
      '/console/agents',
      '/console/webhook',
    ]) {
      await phone.goto(`${baseUrl}${path}`);
      await phone.getByRole('heading', { level: 1 }).waitFor(WAIT);
      const overflow = await phone.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    await phone.goto(`${baseUrl}/console/`);
    await phone.getByTestId('wallet-card').waitFor(WAIT);
    await phone.screenshot({ path: join(SCREENSHOTS, 'overview-375.png'), fullPage: true });
    await phone.close();
  });

  it('signs out: the cookie is gone and the API refuses the old session', async () => {
    const before = (await context.cookies()).find((c) => c.name === 'waiaas_console');
    expect(before).toBeDefined();
    // A poll in flight when the owner signs out is answered before the session ends (it
    // was answered 401 when it reached the API after the session's deletion): the agents
    // list held back for a second on its way to the API.
    const held: Promise<number>[] = [];
    await page.route('**/v1/agents', async (route) => {
      held.push(
        page.waitForResponse((r) => r.request() === route.request()).then((r) => r.status()),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    const sent = page.waitForRequest((r) => r.url().endsWith('/v1/agents'));
    await nav('Overview').click();
    await nav('Agents').click();
    await sent;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out.').waitFor(WAIT);
    await page.unrouteAll({ behavior: 'wait' });
    expect(held.length).toBeGreaterThan(0);
    expect(new Set(await Promise.all(held))).toEqual(new Set([200]));
    await page.getByLabel('Owner key').waitFor(WAIT);
    expect((await context.cookies()).find((c) => c.name === 'waiaas_console')).toBeUndefined();
    const replay = await fetch(`${baseUrl}/v1/wallets`, {
      headers: { cookie: `waiaas_console=${before?.value ?? ''}` },
    });
    expect(replay.status).toBe(401);
    // A reload stays signed out.
    await page.reload();
    await page.getByLabel('Owner key').waitFor(WAIT);
  });

  it('logged no errors in the browser console', () => {
    expect(problems).toEqual([]);
    expect(expectedFailures).toEqual([]);
  });
});
