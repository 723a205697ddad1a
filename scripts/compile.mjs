#!/usr/bin/env node
/**
 * `pnpm compile` (the Turborepo task `//#compile`): turns the TypeScript sources that
 * `pnpm start` runs into JavaScript next to them, in each package's `dist/`, with SWC: no
 * type check (that is `pnpm typecheck`), no declarations (that is `pnpm build`), about a
 * second for the whole repository. Turborepo caches the result, so `pnpm start` compiles
 * once and again only when a source changes, and its processes start from plain JavaScript.
 *
 *   node scripts/compile.mjs            every workspace package that has src/, and scripts/
 *
 * The transform is the one the tests (@swc/jest) and `node --import=@swc-node/register`
 * already run these sources through: TypeScript with legacy decorators and their metadata
 * (NestJS reads constructor parameter types from it), ES modules kept as written.
 *
 * Plain JavaScript (it runs before anything is compiled) over @swc/core's API rather than
 * @swc/cli: the CLI would bring a binary downloader and a file watcher for what is a loop
 * over a few hundred files, and it cannot drop the outputs of deleted sources.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { transform } from '@swc/core';

const REPO = resolve(import.meta.dirname, '..');

/** Source folder → output folder, for every package a `pnpm start` process may load. */
async function units() {
  const found = [];
  for (const parent of ['apps', 'packages', 'packages/shared']) {
    for (const name of await readdir(join(REPO, parent))) {
      const src = join(REPO, parent, name, 'src');
      if (await isDirectory(src)) found.push({ src, out: join(REPO, parent, name, 'dist') });
    }
  }
  // The repository's own tools (pnpm start, demo:ci) live at the top of scripts/.
  found.push({ src: join(REPO, 'scripts'), out: join(REPO, 'scripts', 'dist') });
  return found;
}

/** Never compiled: tests and what they use, outputs, dependencies, declarations. */
function skipped(path) {
  const name = basename(path);
  return (
    name === 'node_modules' ||
    name === 'dist' ||
    name === 'test' ||
    name.endsWith('.test.ts') ||
    name.endsWith('.spec.ts') ||
    name.endsWith('.d.ts')
  );
}

async function isDirectory(path) {
  return (await stat(path).catch(() => null))?.isDirectory() === true;
}

async function sources(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skipped(path)) continue;
    if (entry.isDirectory()) files.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

async function compileFile(file, src, out) {
  const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
  const { code, map } = await transform(await readFile(file, 'utf8'), {
    filename: file,
    sourceFileName: relative(dirname(target), file),
    sourceMaps: true,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'es6' },
    swcrc: false,
    configFile: false,
  });
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${code}\n//# sourceMappingURL=${basename(target)}.map\n`);
  await writeFile(`${target}.map`, map ?? '{}');
  return target;
}

/** Outputs whose source is gone (a renamed or deleted file) must not linger and load. */
async function removeStale(out, written) {
  if (!(await isDirectory(out))) return 0;
  let removed = 0;
  for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const js = path.endsWith('.js.map') ? path.slice(0, -4) : path;
    if (!js.endsWith('.js') || written.has(js)) continue;
    await rm(path, { force: true });
    removed++;
  }
  return removed;
}

const started = performance.now();
let files = 0;
let removed = 0;
for (const { src, out } of await units()) {
  const written = new Set(
    await Promise.all((await sources(src)).map((f) => compileFile(f, src, out))),
  );
  files += written.size;
  removed += await removeStale(out, written);
}
process.stdout.write(
  `compiled ${files} files in ${Math.round(performance.now() - started)} ms` +
    `${removed > 0 ? ` (removed ${removed} stale outputs)` : ''}\n`,
);
