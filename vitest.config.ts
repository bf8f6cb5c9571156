import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers and child processes; give them room on a 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The Debian tools the tests run (sqlfluff, packaging tools) are installed first when missing.
    globalSetup: ['test/setup/system-tools.ts'],
  },
});
