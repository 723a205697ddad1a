import { config } from '@waiaas/eslint-config';

// consumer/ is compiled (NodeNext, strict) by the test in a folder where its dependencies, the
// packed tarballs, are installed; they do not resolve here, so typed lint cannot see them.
export default [{ ignores: ['consumer/**'] }, ...config(import.meta.dirname)];
