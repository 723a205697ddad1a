/**
 * The published packages as a stranger gets them: each is packed with `pnpm pack` (which
 * applies `publishConfig` and turns `workspace:*` into versions), the tarballs are installed
 * with npm into a fresh temporary folder together with TypeScript, and `consumer/src/main.ts`
 * is compiled there (NodeNext, strict) and run. It uses every package through its public
 * entry points and checks that `@waiaas/solana-signer`'s root needs no Turnkey SDK.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

const execFileAsync = promisify(execFile);

/** execFile whose error carries the command's output (a compiler's diagnostics go to stdout). */
async function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, { maxBuffer: 16 * 1024 * 1024, ...options });
  } catch (e) {
    const { stdout, stderr, message } = e as { stdout?: string; stderr?: string; message: string };
    throw Object.assign(new Error(`${message}\n${stdout ?? ''}\n${stderr ?? ''}`), e);
  }
}
const REPO = resolve(import.meta.dirname, '../../..');
const PUBLISHED = {
  '@waiaas/shared': 'packages/shared/core',
  '@waiaas/client': 'packages/client',
  '@waiaas/policy-engine': 'packages/policy-engine',
  '@waiaas/solana-signer': 'packages/solana-signer',
  '@waiaas/cache': 'packages/shared/cache',
  '@waiaas/mcp': 'packages/mcp',
} as const;
type Published = keyof typeof PUBLISHED;

// Installing from the registry and compiling take a while on a loaded machine; nothing here
// waits on a clock of its own.
jest.setTimeout(600_000);

/**
 * The environment of a stranger's shell: without pnpm's npm_* variables (npm runs with its own
 * defaults), NODE_PATH (pnpm points it at the workspace's store, where require() would find
 * packages the consumer never installed) and Jest's NODE_OPTIONS.
 */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) =>
      !key.toLowerCase().startsWith('npm_') && key !== 'NODE_PATH' && key !== 'NODE_OPTIONS',
  ),
);

let work: string;
const tarballs = new Map<Published, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'waiaas-pack-check-'));
  const filters = Object.keys(PUBLISHED).flatMap((name) => ['--filter', name]);
  await run('pnpm', [...filters, 'build'], { cwd: REPO, env: cleanEnv });
  for (const [name, dir] of Object.entries(PUBLISHED) as [Published, string][]) {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], {
      cwd: join(REPO, dir),
      env: cleanEnv,
    });
    const tarball = stdout.trim().split('\n').at(-1);
    if (tarball === undefined || !tarball.endsWith('.tgz')) throw new Error(`pnpm pack: ${stdout}`);
    tarballs.set(name, tarball);
  }
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function packedFile(name: Published, path: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', tarballs.get(name) ?? '', `package/${path}`]);
  return stdout;
}

describe('packed packages', () => {
  it.each(Object.keys(PUBLISHED) as Published[])(
    '%s: public, MIT, engines, typed exports without the source condition or workspace ranges',
    async (name) => {
      const text = await packedFile(name, 'package.json');
      const manifest = JSON.parse(text) as {
        private?: boolean;
        license?: string;
        engines?: { node?: string };
        exports: Record<string, unknown>;
      };
      expect(manifest.private).toBeUndefined();
      expect(manifest.license).toBe('MIT');
      expect(manifest.engines?.node).toMatch(/\d/);
      expect(JSON.stringify(manifest.exports)).not.toContain('@waiaas/source');
      expect(text).not.toContain('workspace:');
      expect(manifest.exports['.']).toEqual({
        types: './dist/index.d.ts',
        default: './dist/index.js',
      });
      expect(await packedFile(name, 'LICENSE')).toContain('MIT License');
      const { stdout: listing } = await run('tar', ['-tzf', tarballs.get(name) ?? '']);
      expect(listing).toContain('package/dist/index.d.ts');
      expect(listing).not.toMatch(/\.test\.(js|d\.ts)\n/);
    },
  );
});

describe('consumer program', () => {
  it('installs the tarballs with npm in a fresh folder, compiles (NodeNext, strict) and runs', async () => {
    const app = join(work, 'app');
    await cp(join(import.meta.dirname, '../consumer'), app, { recursive: true });
    const dependencies: Record<string, string> = {
      // The consumer imports these two directly (the MCP SDK's in-memory transport, kit's
      // signature check); the versions are the ones the packages depend on.
      '@modelcontextprotocol/sdk': '1.32.2',
      '@solana/kit': '8.4.0',
    };
    for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'waiaas-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies,
        devDependencies: { typescript: '5.9.3', '@types/node': '20.19.8' },
      }),
    );
    // A registry request that stalls is given up after 30 s and retried (npm's default waits
    // 5 minutes per attempt: one stalled connection in a CI run took the test past its limit).
    const fetchOptions = ['--fetch-timeout=30000', '--fetch-retries=5'];
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...fetchOptions], {
      cwd: app,
      env: cleanEnv,
    });
    // Every @waiaas package came from its tarball, none from the registry.
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    const waiaas = Object.entries(lock.packages).filter(([path]) =>
      /node_modules\/@waiaas\//.test(path),
    );
    expect(waiaas.map(([path]) => path.replace(/^.*node_modules\//, '')).sort()).toEqual(
      Object.keys(PUBLISHED).sort(),
    );
    for (const [, entry] of waiaas) expect(entry.resolved ?? '').toMatch(/^file:/);

    await run(join(app, 'node_modules/.bin/tsc'), ['-p', app], { cwd: app, env: cleanEnv });
    const { stdout } = await run(process.execPath, [join(app, 'dist/main.js')], {
      cwd: app,
      env: cleanEnv,
    });
    expect(stdout.trim().split('\n')).toEqual([
      'ok @waiaas/shared',
      'ok @waiaas/policy-engine',
      'ok @waiaas/solana-signer',
      'ok @waiaas/cache',
      'ok @waiaas/client',
      'ok @waiaas/mcp',
    ]);

    // The command MCP clients run (`npx @waiaas/mcp`) starts and names what it lacks.
    const bin = await run(join(app, 'node_modules/.bin/waiaas-mcp'), [], {
      cwd: app,
      env: cleanEnv,
    }).catch((e: unknown) => e as { code: number; stderr: string });
    expect(bin).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('WAIAAS_URL is required'),
    });
  });
});
