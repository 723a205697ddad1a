import { preset } from '@waiaas/jest-config';

// Not an integration suite (no database): it packs, installs from the npm registry and runs.
export default preset({ rootDir: import.meta.dirname });
