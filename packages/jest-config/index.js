// Shared Jest preset. Packages are native ESM (NestJS 12 ships ESM only), so Jest runs with
// --experimental-vm-modules and SWC strips types while keeping decorator metadata for Nest.
// Sibling packages resolve to their TypeScript source through the `@waiaas/source`
// export condition, so tests never need a build first.

import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Resolves a module as the package at `rootDir` sees it (it depends on @waiaas/testing). */
function resolveFrom(rootDir, specifier) {
  return createRequire(join(rootDir, 'package.json')).resolve(specifier);
}

/** @param {{ rootDir: string, integration?: boolean }} options */
export function preset({ rootDir, integration = false }) {
  return {
    rootDir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testEnvironmentOptions: { customExportConditions: ['@waiaas/source', 'node', 'node-addons'] },
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    // Integration suites share one PostgreSQL server; each file gets its own database.
    ...(integration
      ? {
          globalSetup: resolveFrom(rootDir, '@waiaas/testing/global-setup'),
          globalTeardown: resolveFrom(rootDir, '@waiaas/testing/global-teardown'),
          testTimeout: 60_000,
        }
      : { testTimeout: 30_000 }),
    errorOnDeprecated: true,
  };
}
