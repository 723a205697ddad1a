#!/usr/bin/env node
// The `waiaas-ledger` bin. A committed file, so that installing the package can link it
// before anything is built; it runs the compiled CLI (`pnpm build` or `pnpm compile`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'waiaas-ledger: not built yet. Run `pnpm --filter @waiaas/local-ledger build` (or `pnpm compile`) first,\n' +
      'or run it from source: `pnpm --filter @waiaas/local-ledger start`.\n',
  );
  process.exit(1);
}
await import(cli.href);
