import { preset } from '@waiaas/jest-config';

const base = preset({ rootDir: import.meta.dirname, integration: true });

export default {
  ...base,
  // The page's sources are in web/, not src/: the repository's SWC compile step (pnpm start)
  // compiles every package's src/ into its dist/ and deletes other .js files there, which would
  // take the built page's assets with it.
  testMatch: ['<rootDir>/web/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // The end-to-end test drives a real browser against the whole stack: give it room on a
  // loaded two-core machine (each wait inside it has its own, shorter limit).
  testTimeout: 300_000,
};
