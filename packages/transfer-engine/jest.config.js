import { preset } from '@waiaas/jest-config';

export default preset({ rootDir: import.meta.dirname, integration: true });
