// ESLint (typescript-eslint's recommended rules) over every TypeScript source; formatting is Prettier's (eslint-config-prettier
// turns off the rules that would disagree with it). `npm test` runs both before the tests.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/', 'router/build/', 'dist/', 'node_modules/', '.cache/', 'schema/values.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // Tests read synthesized manifests and engine answers as untyped JSON.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
