import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');

describe('waiaas-ledger bin', () => {
  it('starts from source, serves JSON-RPC on the printed URL and exits cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@waiaas/source',
        '--import=@swc-node/register/esm-register',
        'src/cli.ts',
        '--port',
        '0',
        '--slot-ms',
        '0',
      ],
      {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${output}`)));
      });
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getHealth' }),
      });
      expect(await response.json()).toEqual({ jsonrpc: '2.0', result: 'ok', id: 1 });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
