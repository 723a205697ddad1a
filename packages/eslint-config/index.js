// One lint configuration for every package. Type-aware rules catch the mistakes that cost
// money in this codebase: floating promises (a transfer that is never awaited), misused
// promises in callbacks, and unsafe `any` leaking out of JSON.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** @param {string} tsconfigRootDir the package directory (pass `import.meta.dirname`) */
export function config(tsconfigRootDir) {
  return tseslint.config(
    { ignores: ['dist/**', 'generated/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': 'error',
        '@typescript-eslint/consistent-type-imports': [
          'error',
          { fixStyle: 'inline-type-imports' },
        ],
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
        ],
        // NestJS DI needs runtime class references in constructor parameter types.
        '@typescript-eslint/no-extraneous-class': 'off',
        'no-console': 'error',
        eqeqeq: ['error', 'always'],
      },
    },
    {
      files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
      rules: {
        'no-console': 'off',
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-non-null-assertion': 'off',
      },
    },
  );
}
