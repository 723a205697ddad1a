/**
 * Drives Prisma's WebAssembly schema engine from Node, offline. Prisma's CLI would download a
 * native engine for `migrate diff`; the same engine ships as WebAssembly in
 * `@prisma/schema-engine-wasm` and works through a driver adapter
 * (`bindMigrationAwareSqlAdapterFactory(new PrismaPg(...))`; `diff` from empty to a schema
 * returns the full SQL script).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const require = createRequire(import.meta.url);

// @types/node 20 does not declare the WebAssembly global; this is the part used here.
type WasmExports = Record<string, unknown>;
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: WasmExports } }>;
};

interface WasmBindings {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: {
    new: (
      options: { datamodels: [string, string][] | undefined },
      log: (line: string) => void,
      adapter: object,
    ) => Promise<WasmSchemaEngine>;
  };
}

interface DiffTargetEmpty {
  tag: 'empty';
}
interface DiffTargetSchema {
  tag: 'schemaDatamodel';
  files: { path: string; content: string }[];
}

interface WasmSchemaEngine {
  diff(params: {
    from: DiffTargetEmpty | DiffTargetSchema;
    to: DiffTargetEmpty | DiffTargetSchema;
    script: boolean;
    exitCode: boolean | null;
    filters: { externalTables: string[]; externalEnums: string[] };
  }): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

let bindings: Promise<WasmBindings> | undefined;

async function loadBindings(): Promise<WasmBindings> {
  const entry = require.resolve('@prisma/schema-engine-wasm');
  const dir = entry.slice(0, entry.lastIndexOf('/') + 1);
  const bg = (await import(`${dir}schema_engine_bg.js`)) as WasmBindings;
  const bytes = await readFile(`${dir}schema_engine_bg.wasm`);
  // Node 20 cannot import .wasm as an ES module, so instantiate it by hand the way the
  // generated glue would.
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  return bg;
}

/**
 * Returns the SQL that takes one Prisma schema to another (`from` omitted = empty database).
 * Needs a reachable PostgreSQL only because the engine insists on an adapter; it does not
 * read or write that database.
 */
export async function diffSchemas(options: {
  connectionString: string;
  to: string;
  from?: string;
}): Promise<string> {
  bindings ??= loadBindings();
  const bg = await bindings;
  const adapter = bindMigrationAwareSqlAdapterFactory(
    new PrismaPg({ connectionString: options.connectionString }),
  );
  const target = (content: string): DiffTargetSchema => ({
    tag: 'schemaDatamodel',
    files: [{ path: 'schema.prisma', content }],
  });
  const engine = await bg.SchemaEngine.new(
    { datamodels: [['schema.prisma', options.to]] },
    () => undefined,
    adapter,
  );
  try {
    const result = await engine.diff({
      from: options.from === undefined ? { tag: 'empty' } : target(options.from),
      to: target(options.to),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.stdout ?? '';
  } finally {
    engine.free();
  }
}

export async function readSchema(): Promise<string> {
  return readFile(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');
}
