import { preset } from '@waiaas/jest-config';

// integration: the OpenAPI consistency test boots the real API on its own database.
export default preset({ rootDir: import.meta.dirname, integration: true });
