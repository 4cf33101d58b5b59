// Type-aware lint for every TypeScript file: each file is checked with the tsconfig.json
// nearest to it (the root one, or console/tsconfig.json for the console).
import eslint from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'cdk.out/', 'console/dist/', '.data/', 'test-artifacts/'],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Config files that no tsconfig.json includes.
          allowDefaultProject: ['eslint.config.js', 'console/vite.config.ts', 'bin/*.mjs', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers read naturally in messages and keys; nullable values and objects are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `return send(res, ...)` is how the local cloud's request handlers answer and stop in one line.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // With noUncheckedIndexedAccess, `!` marks an index the surrounding logic proves present.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `_name` and `{ dropped, ...rest }` are how a value is deliberately left out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An async function without await still turns a throw into a rejection, which Promise-returning
      // interfaces (handlers, injected dependencies, test doubles) rely on; floating promises are caught separately.
      '@typescript-eslint/require-await': 'off',
      // The two control-character classes reject control characters in names on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.stringMatching...) are typed `any` by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['console/src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    // Plain JavaScript entry points and config: syntax rules only.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
