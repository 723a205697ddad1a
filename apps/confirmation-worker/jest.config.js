import { preset } from '@waiaas/jest-config';

export default {
  ...preset({ rootDir: import.meta.dirname, integration: true }),
  // The crash and concurrency suites run real worker processes and a ledger with moving slots.
  testTimeout: 120_000,
};
