import { config } from '@waiaas/eslint-config';

export default config(import.meta.dirname);
