import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.toolchain/', 'dist/', 'var/', '.demo/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript that runs on the machine's own Node (the toolchain bootstrap).
    files: ['.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Log lines are events of agent/log/events.ts (the Logger's types already refuse a string); this
    // also catches a sentence handed to any other .error/.warn/.info/.debug, e.g. a console. Config
    // ProblemLists (`problems.error(where, message)`) are validation messages, not log lines.
    // ESLint replaces, not merges, a rule's options per file: add further no-restricted-syntax
    // selectors for agent/ to this list.
    files: ['agent/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(error|warn|info|debug)$/]:not([callee.object.name='problems'])[arguments.0.type=/^(Literal|TemplateLiteral)$/]",
          message: 'Log an event of agent/log/events.ts (LogEvents.x), not a sentence: the catalogue holds every message, its level and its support-guide row.',
        },
      ],
    },
  },
);
