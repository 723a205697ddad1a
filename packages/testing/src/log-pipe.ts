import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pipe to give a child process as its stdout, whose reading end the test holds: the reader
 * can stall (the pipe fills up, as behind a busy supervisor or log shipper), catch up, or go
 * away (the child's writes fail with EPIPE from then on).
 *
 * A named pipe rather than spawn's `'pipe'` (a socket pair): the test can fill it itself, so
 * the child's very next write finds it full, whatever the child logged before.
 *
 * @example
 * ```ts
 * const pipe = await createLogPipe();
 * const child = spawn(process.execPath, [main], { stdio: ['ignore', pipe.writeFd, 'pipe'] });
 * pipe.spawned();
 * pipe.readAvailable(); // what it wrote so far
 * pipe.fill();          // its next line waits for a reader
 * const text = await pipe.read(); // or pipe.closeReader(): the next line fails with EPIPE
 * await pipe.close();
 * ```
 */
export interface LogPipe {
  /** The writing end, for spawn's `stdio`. */
  readonly writeFd: number;
  /**
   * Closes this process's copy of the writing end, once the child holds its own: the reader
   * then sees end-of-file when the child exits.
   */
  spawned(): void;
  /**
   * Fills the pipe to the last byte (with newlines, so the filler reads as blank lines): the
   * child's next write cannot complete until the pipe is read or its reader is gone.
   * Returns the bytes written.
   */
  fill(): number;
  /**
   * What the pipe holds right now, without waiting (`''` when it is empty), so a test can see
   * a line arrive and then stall the reader again. Not once {@link read} has begun.
   */
  readAvailable(): string;
  /** Reads from now on; resolves with all that was read once every writer has closed. */
  read(): Promise<string>;
  /** Closes the reading end without reading what is left: the child gets EPIPE. */
  closeReader(): void;
  /** Closes whatever is still open and removes the pipe. */
  close(): Promise<void>;
}

/** Creates a {@link LogPipe} in a fresh temporary directory (needs `mkfifo` on the PATH). */
export async function createLogPipe(): Promise<LogPipe> {
  const dir = await mkdtemp(join(tmpdir(), 'waiaas-log-pipe-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  // Reader first, non-blocking: opening either end of a named pipe otherwise waits for the other.
  let readFd: number | undefined = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let writeFd: number | undefined = openSync(path, constants.O_WRONLY);
  let reader: Socket | undefined;

  const closeWriter = () => {
    if (writeFd !== undefined) closeSync(writeFd);
    writeFd = undefined;
  };
  const closeReader = () => {
    if (reader) reader.destroy();
    else if (readFd !== undefined) closeSync(readFd);
    reader = undefined;
    readFd = undefined;
  };

  return {
    writeFd,
    spawned: closeWriter,
    fill: () => {
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      let written = 0;
      try {
        // Whole pages first, then single bytes into what the last partial page left.
        for (const size of [4096, 1]) {
          const chunk = Buffer.alloc(size, '\n');
          try {
            for (;;) written += writeSync(fd, chunk);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    readAvailable: () => {
      if (readFd === undefined || reader) throw new Error('the pipe is being read or closed');
      const chunks: Buffer[] = [];
      const buffer = Buffer.alloc(65_536);
      try {
        for (;;) {
          const n = readSync(readFd, buffer);
          if (n === 0) break; // every writer has closed
          chunks.push(Buffer.from(buffer.subarray(0, n)));
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      return Buffer.concat(chunks).toString();
    },
    read: () => {
      if (readFd === undefined) return Promise.reject(new Error('the reader is closed'));
      const socket = new Socket({ fd: readFd, readable: true, writable: false });
      reader = socket;
      const chunks: Buffer[] = [];
      return new Promise((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('end', () => resolve(Buffer.concat(chunks).toString()));
        socket.once('error', reject);
      });
    },
    closeReader,
    close: async () => {
      closeWriter();
      closeReader();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
