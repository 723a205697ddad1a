/**
 * Crash-safe writes of the small state files `pnpm start` keeps (run.json, the master key,
 * the operator token, the demo credentials). A reader in another process, or the next
 * start after a kill -9 or a power cut, only ever sees a whole old file or a whole new one:
 * never an empty or half-written one.
 *
 * Written here rather than taken from `write-file-atomic` because that library neither
 * fsyncs the folder after the rename (without it the rename itself can be lost on a crash)
 * nor can create a file only if it does not exist yet, which is what a secret needs: a
 * generated master key must never replace one that wallets are already sealed with.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Thrown by {@link createFileOnce} when the file exists with other content. */
export class FileExistsWithOtherContentError extends Error {
  constructor(readonly file: string) {
    super(`${file} already exists with different content; refusing to overwrite it`);
    this.name = 'FileExistsWithOtherContentError';
  }
}

/**
 * Replaces `file` with `content` atomically: a temporary file in the same folder, created
 * with the final mode, written and fsynced, renamed over `file`, then the folder fsynced.
 *
 * @example
 * await writeFileAtomic('.waiaas/run.json', JSON.stringify(run), 0o600);
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const temporary = await writeTemporary(file, content, mode);
  try {
    await rename(temporary, file);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  await fsyncFolder(dirname(file));
}

/**
 * Creates `file` with `content` only if it does not exist, atomically: the content is
 * complete on disk before the name appears (a hard link of a fsynced temporary file, which
 * fails if the name is taken). If the file exists with the same content this is a no-op;
 * with different content it throws {@link FileExistsWithOtherContentError}.
 *
 * @example
 * await createFileOnce('.waiaas/master.key', `${key}\n`); // never replaces an existing key
 */
export async function createFileOnce(file: string, content: string, mode = 0o600): Promise<void> {
  const temporary = await writeTemporary(file, content, mode);
  try {
    await link(temporary, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const existing = await readFile(file, 'utf8');
    if (existing !== content) throw new FileExistsWithOtherContentError(file);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await fsyncFolder(dirname(file));
}

/** Temporary files are dot-files named after their target, so a stale one is easy to spot. */
export function isTemporaryFor(name: string): boolean {
  return /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);
}

async function writeTemporary(file: string, content: string, mode: number): Promise<string> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse an existing path; the mode is set at creation, so a secret
  // is never readable by others, not even for an instant.
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(mode); // the umask may have narrowed the mode given to open
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  await handle.close();
  return temporary;
}

async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
