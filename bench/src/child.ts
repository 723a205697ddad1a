import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `script` (a sibling module of this one, e.g. `load-child.js`) in a process of its own,
 * sends it `input` over IPC and resolves with the `result` of its one `{ ok, result | error }`
 * answer once it has exited.
 *
 * @example
 * ```ts
 * const result = await callChild<LoadSpec, LoadResult>('load-child.js', spec);
 * ```
 */
export function callChild<I, O>(script: string, input: I): Promise<O> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL(`./${script}`, import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=1024'],
    });
    let answer: { ok: true; result: O } | { ok: false; error: string } | undefined;
    child.on('message', (message: typeof answer) => (answer = message));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (answer?.ok === true) resolve(answer.result);
      else reject(new Error(answer?.error ?? `${script} exited with code ${code}`));
    });
    child.send(input as object);
  });
}
