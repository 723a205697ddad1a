/**
 * `pnpm demo:ci`: the smoke test CI runs after `pnpm test`. Starts the stack exactly as
 * `pnpm start` does with no environment (embedded PostgreSQL, local ledger, in-process
 * cache, generated secrets), in a throw-away state folder and on free ports, then:
 *   1. sends the transfer the start banner suggests, with the saved demo agent key;
 *   2. runs examples/agent-demo.ts against it;
 *   3. stops it with SIGINT (Ctrl-C) and checks that it exits 0 and leaves no process behind;
 *   4. starts it again on the same folder and checks the saved demo credentials still work
 *      (nothing re-created), and stops it again.
 * Any failure exits 1, after stopping whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WaiaasClient } from '@waiaas/client';
import type { DemoCredentials } from './lib/demo-setup.js';
import { repoRoot } from './lib/repo.js';
import { StateDir } from './lib/state.js';

const REPO = repoRoot(import.meta.dirname);
/** How `pnpm demo` runs examples/agent-demo.ts: from source. */
const NODE = [
  process.execPath,
  '--conditions=@waiaas/source',
  '--import=@swc-node/register/esm-register',
];

function log(message: string): void {
  process.stdout.write(`\n[demo:ci] ${message}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes whose command line mentions `needle` (the state folder: PostgreSQL's -D). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

interface RunFile {
  pid: number;
  ready: boolean;
  apiUrl: string;
  children: Record<string, number>;
}

class Stack {
  child: ChildProcess | null = null;
  exit: Promise<[number | null, NodeJS.Signals | null]> | null = null;
  private readonly state: StateDir;

  constructor(
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.state = new StateDir(home);
  }

  async start(): Promise<RunFile> {
    await rm(join(this.home, 'run.json'), { force: true });
    const child = spawn(process.execPath, [join(REPO, 'scripts/start.mjs')], {
      cwd: REPO,
      env: this.env,
      stdio: 'inherit',
      detached: true,
    });
    this.child = child;
    this.exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let exited = false;
    void this.exit.then(() => (exited = true));
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (exited) throw new Error('pnpm start exited before it was ready');
      const run = await this.state.readJson<RunFile>('run.json', (m) => log(m));
      if (run !== null && run.pid === child.pid && run.ready) return run;
      if (Date.now() > deadline) throw new Error('pnpm start not ready within 300 s');
      await sleep(500);
    }
  }

  /** Ctrl-C: SIGINT to the start process; it must exit 0 and leave no child behind. */
  async stop(run: RunFile): Promise<void> {
    const child = this.child;
    if (child === null || this.exit === null) return;
    child.kill('SIGINT');
    const result = await Promise.race([this.exit, sleep(90_000).then(() => null)]);
    if (result === null) throw new Error('pnpm start did not exit within 90 s of SIGINT');
    this.child = null;
    const [code, signal] = result;
    if (code !== 0)
      throw new Error(`pnpm start exited with code ${code} (signal ${signal}) after SIGINT`);
    const left = Object.entries(run.children).filter(([, pid]) => alive(pid));
    if (left.length > 0)
      throw new Error(
        `still running after stop: ${left.map(([n, p]) => `${n} (${p})`).join(', ')}`,
      );
    const strays = await processesMentioning(this.home);
    if (strays.length > 0) throw new Error(`processes left behind:\n${strays.join('\n')}`);
  }

  /** On failure: kill whatever is left, by process group. */
  kill(): void {
    if (this.child?.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
}

async function main(): Promise<number> {
  const home = await mkdtemp(join(tmpdir(), 'waiaas-demo-ci-'));
  // The zero-configuration path: none of the variables that switch to real services.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WAIAAS_HOME: home,
    SWC_NODE_PROJECT: join(REPO, 'scripts/tsconfig.json'),
  };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'SOLANA_RPC_URL',
    'ADMIN_TOKEN',
    'WALLET_MASTER_KEY',
    'KEYSTORE_MASTER_KEY',
    'TURNKEY_ORGANIZATION_ID',
    'TURNKEY_API_PUBLIC_KEY',
    'TURNKEY_API_PRIVATE_KEY',
    'TURNKEY_API_BASE_URL',
    'NODE_ENV',
  ]) {
    delete env[name];
  }
  env.PORT = String(await freePort());
  env.LEDGER_PORT = String(await freePort());
  env.WAIAAS_PG_PORT = String(await freePort());
  env.METRICS_PORT = String(await freePort());
  const stack = new Stack(home, env);
  try {
    log(`first start (state in ${home})`);
    let run = await stack.start();
    const credentials = JSON.parse(
      await readFile(join(home, 'demo-credentials.json'), 'utf8'),
    ) as DemoCredentials;

    log('the owner console the banner lists');
    const page = await fetch(`${run.apiUrl}/console/`);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('<div id="app"'))
      throw new Error(`console: ${page.status} ${html.slice(0, 200)}`);

    log('the transfer the banner suggests, with the saved demo agent key');
    const response = await fetch(`${run.apiUrl}/v1/wallets/${credentials.wallet.id}/transfers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${credentials.agent.apiKey}`,
        'idempotency-key': `ci-${Date.now()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ to: credentials.recipient, amount: '0.1' }),
    });
    const body = (await response.json()) as { transaction?: { id: string; status: string } };
    if (response.status !== 201 || body.transaction?.status !== 'PENDING')
      throw new Error(`banner transfer: ${response.status} ${JSON.stringify(body)}`);
    const agent = new WaiaasClient({ baseUrl: run.apiUrl, apiKey: credentials.agent.apiKey });
    const done = await agent.waitForTransaction(body.transaction.id, { timeoutMs: 90_000 });
    if (done.status !== 'CONFIRMED') throw new Error(`banner transfer ended ${done.status}`);
    log('banner transfer CONFIRMED');

    log('examples/agent-demo.ts');
    const demo = spawn(NODE[0]!, [...NODE.slice(1), join(REPO, 'examples/agent-demo.ts')], {
      cwd: REPO,
      env,
      stdio: 'inherit',
    });
    const [demoCode] = (await once(demo, 'exit')) as [number | null];
    if (demoCode !== 0) throw new Error(`agent demo exited with code ${demoCode}`);

    log('Ctrl-C (SIGINT): everything must stop');
    await stack.stop(run);
    log('stopped cleanly, no process left');

    log('second start on the same state: the demo must be reused, not re-created');
    run = await stack.start();
    const again = JSON.parse(
      await readFile(join(home, 'demo-credentials.json'), 'utf8'),
    ) as DemoCredentials;
    if (
      again.agent.apiKey !== credentials.agent.apiKey ||
      again.wallet.id !== credentials.wallet.id
    )
      throw new Error('the demo credentials were replaced on restart');
    const { wallet } = await agent.getWallet(credentials.wallet.id);
    const { balance } = await agent.getBalance(wallet.id);
    if (BigInt(balance.lamports) < 2_000_000_000n)
      throw new Error(`demo wallet not re-funded on restart: ${balance.lamports} lamports`);
    const history = await agent.listTransactions(wallet.id, { status: 'CONFIRMED' });
    if (!history.transactions.some((t) => t.id === done.id))
      throw new Error(
        'the first run’s transaction is gone: PostgreSQL data did not survive the restart',
      );
    await stack.stop(run);
    log('smoke test passed');
    return 0;
  } catch (e) {
    process.stderr.write(`\n[demo:ci] FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    stack.kill();
    await sleep(5_000);
    return 1;
  } finally {
    await rm(home, { recursive: true, force: true }).catch(() => undefined);
  }
}

process.exit(await main());
