import { createRequire } from 'node:module';

/** This package's version, as published (reported to MCP clients in `serverInfo`). */
export const VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
