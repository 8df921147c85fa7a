// ESLint for correctness, not layout: typescript-eslint's type-aware rules catch the promise and union mistakes
// that end a uWS thread or leave a request without an answer (issue 18). No formatter: see docs/architecture.md, "Decisions worth knowing".
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const typeChecked = tseslint.configs.recommendedTypeChecked.map((config) => ({
  ...config,
  files: ['**/*.ts'],
}));

export default tseslint.config(
  { ignores: ['dist/**', '**/dist/**', 'node_modules/**', 'var/**', 'dashboard/**', 'grafana/**', 'coverage/**', '.tap/**'] },
  { files: ['**/*.js'], ...js.configs.recommended, languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    // The buyer's page: a plain browser script (no build, no modules), and the QR library's global from its own <script>.
    files: ['buyer/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'sessionStorage', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'Option', 'qrcode'].map((name) => [name, 'readonly']),
      ),
    },
  },
  ...typeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tap's t.test() returns a promise the runner awaits itself; everything else must be awaited or voided.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      // A new outcome kind must be answered everywhere: the compiler lists the switches that miss it.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
      // A Rejection carries an HTTP status and a stable code; the router turns it into one answer.
      '@typescript-eslint/only-throw-error': ['error', {
        allow: [{ from: 'file', name: 'Rejection', path: 'src/http/request-rules.ts' }],
      }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', {
        allowThrowingUnknown: true,
        allow: [{ from: 'file', name: 'Rejection', path: 'src/http/request-rules.ts' }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // A route waits only through Reply.settle: a throw in its continuation then ends in one 500, not in an
    // unhandled rejection that ends the thread (issue 18).
    files: ['src/http/**/*.ts'],
    ignores: ['src/http/reply.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'CallExpression[callee.property.name=/^(then|catch|finally)$/]',
        message: 'wait through reply.settle(promise, onValue, onError): a throw in a continuation must become the 500',
      }],
    },
  },
  {
    // Tests and benchmarks parse JSON answers and drive fixtures: the unsafe-any family would only add casts.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'native-free-shm/test/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
