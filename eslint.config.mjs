// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Lint for the whole repo, plus the sandbox rules of DESIGN.md: `workflows/` runs in Temporal's
 * deterministic sandbox and `domain/` is pure (no I/O, no clock). Layering between folders is
 * dependency-cruiser's job (.dependency-cruiser.cjs); these rules catch the same mistakes in the editor.
 */

const nodeBuiltins = {
  regex: `^(node:.*|(${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})(\\/.*)?)$`,
  message: 'Node built-ins are not available here: no I/O, no clock. Do it in an activity (activities/).',
};

const sdkPackages = {
  regex: '^(pg|pg-.*|@aws-sdk\\/.*|@azure\\/.*|@google-cloud\\/.*|@slack\\/.*|@microsoft\\/.*)$',
  message: 'SDKs and drivers do I/O; call them from an activity (activities/) behind a port.',
};

/** Relative or absolute imports of the activities folder, e.g. `../activities` or `../../activities/store/types`. */
const activitiesFolder = '(^|\\/)activities(\\/|$)';

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', '.tools/', '.least/', 'docs/', 'coverage/'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            sdkPackages,
            {
              regex: '^@temporalio\\/(?!workflow$|common$)',
              message: 'Workflows may import only @temporalio/workflow and @temporalio/common.',
            },
            {
              regex: activitiesFolder,
              allowTypeImports: true,
              message:
                'Workflows see activities by type only: `import type` them and call them through proxyActivities.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The workflow sandbox has no process; pass values in as workflow arguments.' },
        { name: 'fetch', message: 'No I/O in workflows; use an activity.' },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            sdkPackages,
            { regex: '^@temporalio\\/', message: 'domain/ is pure: it knows nothing of Temporal.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'domain/ reads no environment; take values as arguments.' },
        { name: 'fetch', message: 'domain/ does no I/O.' },
        { name: 'setTimeout', message: 'domain/ has no clock.' },
        { name: 'setInterval', message: 'domain/ has no clock.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'domain/ has no clock: take the time (ISO string) as an argument.',
        },
        {
          object: 'Math',
          property: 'random',
          message: 'domain/ is deterministic: take ids and randomness as arguments.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name="Date"][arguments.length=0]',
          message: 'domain/ has no clock: `new Date()` reads it; take the time (ISO string) as an argument.',
        },
        {
          selector: 'CallExpression[callee.name="Date"]',
          message: 'domain/ has no clock: `Date()` reads it; take the time (ISO string) as an argument.',
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
