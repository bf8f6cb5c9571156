import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The AWS SDK (and the Smithy packages it is built on): only the S3 sink may load them. */
const SDK_PACKAGES = ['@aws-sdk/*', '@smithy/*'];
const SDK_MESSAGE = 'Only agent/sinks/s3/ uses the AWS SDK (house style: one stage talks to S3). Move the code there, or import an SDK-free module from it.';
const EXIT_MESSAGE = 'Only agent/cli/ sets exit codes: return a result and let the command map it (agent/cli/exit-codes.ts).';

/**
 * Log lines are events of agent/log/events.ts (the Logger's types already refuse a string); this
 * also catches a sentence handed to any other .error/.warn/.info/.debug, e.g. a console. Config
 * ProblemLists (`problems.error(where, message)`) are validation messages, not log lines.
 */
const LOG_SENTENCE = {
  selector:
    "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(error|warn|info|debug)$/]:not([callee.object.name='problems'])[arguments.0.type=/^(Literal|TemplateLiteral)$/]",
  message: 'Log an event of agent/log/events.ts (LogEvents.x), not a sentence: the catalogue holds every message, its level and its support-guide row.',
};

/** The rules for one part of agent/: may it load the SDK, may it set exit codes. */
function houseRules({ sdk, exit }) {
  const patterns = [
    ...(sdk ? [] : [{ group: SDK_PACKAGES, message: SDK_MESSAGE }]),
    ...(exit ? [] : [{ group: ['**/cli/exit-codes.ts'], message: EXIT_MESSAGE }]),
  ];
  return {
    '@typescript-eslint/no-restricted-imports': patterns.length > 0 ? ['error', { patterns }] : 'off',
    // One list per file: ESLint replaces, not merges, a rule's options, so every selector is here.
    'no-restricted-syntax': ['error',
      LOG_SENTENCE,
      // import() is an expression, not an import declaration: no-restricted-imports does not see it.
      ...(sdk ? [] : [{ selector: 'ImportExpression[source.value=/^@(aws-sdk|smithy)\\//]', message: SDK_MESSAGE }]),
    ],
    'no-restricted-properties': exit ? 'off' : ['error',
      { object: 'process', property: 'exit', message: EXIT_MESSAGE },
      { object: 'process', property: 'exitCode', message: EXIT_MESSAGE },
    ],
  };
}

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
    // House rules for the product's code (STYLE.md, "Layout" and "Code"). test/ and installer/ are
    // exempt: tests drive S3 stand-ins with the SDK's own clients and types, and the build scripts
    // and test helpers are programs of their own that set their own exit status.
    files: ['agent/**/*.ts'],
    rules: houseRules({ sdk: false, exit: false }),
  },
  { files: ['agent/sinks/s3/**/*.ts'], rules: houseRules({ sdk: true, exit: false }) },
  { files: ['agent/cli/**/*.ts'], rules: houseRules({ sdk: false, exit: true }) },
);
