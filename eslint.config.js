// Lint is part of the test command; it checks what the type-checker cannot.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.work/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The Raft core must stay pure: no clocks, randomness, sockets or disk.
    files: ['manager/raft/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'dgram', 'crypto', 'level', '@grpc/*'] }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'the core has no clock; use ticks' },
        { object: 'Math', property: 'random', message: 'the core has no randomness of its own; use config.rand' },
        { object: 'performance', property: 'now', message: 'the core has no clock' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process'],
    },
  },
  {
    // The gossip core must stay pure as well: time arrives as `now`, randomness as opts.rand.
    files: ['worker/gossip/core/**/*.ts', 'worker/gossip/codec.ts', 'worker/gossip/config.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'dgram', 'crypto', 'level', '@grpc/*'] }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'the gossip core has no clock; use the now argument' },
        { object: 'Math', property: 'random', message: 'the gossip core has no randomness of its own; use opts.rand' },
        { object: 'performance', property: 'now', message: 'the gossip core has no clock' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'Date', 'performance', 'Buffer'],
    },
  },
);
