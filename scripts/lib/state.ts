/**
 * The `.waiaas/` folder of `pnpm start` (gitignored, at the repository root unless
 * WAIAAS_HOME says otherwise): PostgreSQL data, and secrets generated once and kept with
 * mode 0600, so a restart finds the same database, keys and demo credentials.
 *
 * Every file here is written atomically (see atomic-file.ts): another process reading
 * run.json while `pnpm start` rewrites it, or a start after a kill -9, sees a whole old
 * document or a whole new one. Secrets are created once and never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileOnce, isTemporaryFor, writeFileAtomic } from './atomic-file.js';

/** A temporary file this old was left by a process that died mid-write. */
const STALE_TEMPORARY_MS = 60_000;

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
    await this.removeStaleTemporaries();
  }

  /**
   * Reads a secret file, or creates it with `generate()` (mode 0600). `created` says which.
   * A secret is never replaced: an existing file that is empty (left by an older version
   * that wrote in place and crashed) is refused with what to do, rather than regenerated.
   */
  async secret(
    name: string,
    generate: () => string,
  ): Promise<{ value: string; created: boolean; file: string }> {
    const file = this.path(name);
    const existing = await readIfExists(file);
    if (existing !== null) return { value: nonEmpty(file, existing), created: false, file };
    const value = generate();
    // Throws if another process created it meanwhile with another value: never two keys.
    await createFileOnce(file, `${value}\n`, 0o600);
    return { value, created: true, file };
  }

  /**
   * The JSON document `name`, or null when there is none. A file that does not parse (only
   * possible if something other than {@link writeJson} wrote it) is reported through
   * `onUnreadable` and treated as absent, so a reader never crashes on it.
   */
  async readJson<T>(
    name: string,
    onUnreadable: (message: string) => void = () => undefined,
  ): Promise<T | null> {
    const file = this.path(name);
    const text = await readIfExists(file);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      onUnreadable(`${file} is not valid JSON (${(e as Error).message}); ignoring it`);
      return null;
    }
  }

  /** Replaces the JSON document `name` atomically (mode 0600 unless told otherwise). */
  async writeJson(name: string, value: unknown, mode = 0o600): Promise<string> {
    const file = this.path(name);
    await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
    return file;
  }

  private async removeStaleTemporaries(): Promise<void> {
    for (const name of await readdir(this.root)) {
      if (!isTemporaryFor(name)) continue;
      const file = this.path(name);
      const info = await stat(file).catch(() => null);
      if (info !== null && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS)
        await unlink(file).catch(() => undefined);
    }
  }
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function nonEmpty(file: string, text: string): string {
  const value = text.trim();
  if (value === '')
    throw new Error(
      `${file} is empty. It was left by an interrupted write of an older version; if nothing ` +
        'was ever created with it (no wallet, no saved token), delete it and start again.',
    );
  return value;
}

/** 32 random bytes as hex: a WALLET_MASTER_KEY, an ADMIN_TOKEN, a database password. */
export function randomHex(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}
