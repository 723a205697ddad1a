/**
 * The `.waiaas/` folder of `pnpm start` (gitignored, at the repository root unless
 * WAIAAS_HOME says otherwise): PostgreSQL data, and secrets generated once and kept with
 * mode 0600, so a restart finds the same database, keys and demo credentials.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class StateDir {
  constructor(readonly root: string) {}

  path(name: string): string {
    return join(this.root, name);
  }

  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // 0711: others may traverse (PostgreSQL runs as the `postgres` user when we are root
    // and owns its data directory below) but not list; every secret file is 0600.
    await chmod(this.root, 0o711);
  }

  /** Reads a secret file, or creates it with `generate()` (mode 0600). `created` says which. */
  async secret(
    name: string,
    generate: () => string,
  ): Promise<{ value: string; created: boolean; file: string }> {
    const file = this.path(name);
    try {
      const value = (await readFile(file, 'utf8')).trim();
      if (value !== '') return { value, created: false, file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const value = generate();
    await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'w' });
    await chmod(file, 0o600);
    return { value, created: true, file };
  }

  async readJson<T>(name: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.path(name), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async writeJson(name: string, value: unknown, mode = 0o600): Promise<string> {
    const file = this.path(name);
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { mode });
    await chmod(file, mode);
    return file;
  }
}

/** 32 random bytes as hex: a WALLET_MASTER_KEY, an ADMIN_TOKEN, a database password. */
export function randomHex(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}
