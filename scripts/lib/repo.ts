import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository root (the folder with pnpm-workspace.yaml) above `from`: the same whether
 * a script runs from its source (scripts/x.ts, in tests) or compiled (scripts/dist/x.js).
 *
 * @example
 * const REPO = repoRoot(import.meta.dirname);
 */
export function repoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
  }
}
