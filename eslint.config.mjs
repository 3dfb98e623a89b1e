import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      'cdk.out.second/**',
      '**/*.js',
      '**/*.d.ts',
      'jest.config.js',
      'jest.lint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS entry points for Node (the TypeScript loader): require() is the point of them.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The test runner's setup modules (test/jest/): they run in Node.js, with Jest's globals.
    files: ['test/jest/*.mjs', 'test/jest/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        globalThis: 'readonly',
      },
    },
  },
  {
    // Import order (issue 15): packages first, then the project's modules, each group sorted, so a reader
    // finds a dependency at a glance and a merge does not reorder them. `npx eslint --fix` sorts them.
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: { 'simple-import-sort/imports': 'error' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Test files share a worker process (jest-light-runner): a test that replaces process.env cuts it off
    // from the real environment, which os.tmpdir() and child processes read, for every file run after it.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "AssignmentExpression[left.object.name='process'][left.property.name='env']",
          message:
            'Change process.env keys with setEnv (test/env.ts), which restores them; never replace process.env.',
        },
      ],
    },
  },
  {
    // Function-length budget (issue 15): a function longer than this is a list of steps that wants
    // names. Tests are exempt: a describe() callback is long by nature.
    files: ['lib/**/*.ts', 'lambda/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
);
