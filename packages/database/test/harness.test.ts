import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const globalSetup = fileURLToPath(new URL('../../testing/jest/global-setup.js', import.meta.url));

describe('the test harness', () => {
  it('fails at once, saying what to set, when neither URLs nor a Docker engine are there', async () => {
    // PATH holds only node: no docker client, so Testcontainers is not an option either.
    const attempt = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await (await import(${JSON.stringify(globalSetup)})).default()`,
      ],
      { env: { PATH: dirname(process.execPath) }, timeout: 30_000 },
    );

    await expect(attempt).rejects.toMatchObject({
      stderr: expect.stringMatching(
        /Set DATABASE_URL and REDIS_URL[\s\S]*Docker engine/,
      ) as unknown,
    });
  });
});
