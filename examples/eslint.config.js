import { config } from '@waiaas/eslint-config';

// An example talks to its reader through the console; every other rule applies.
export default [...config(import.meta.dirname), { rules: { 'no-console': 'off' } }];
