import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers and child processes; give them room on a 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on child processes and local servers, not on the CPU: on 2 cores vitest's
    // default (one worker fewer than the cores) runs them one after the other. Four at a time keeps
    // both cores busy; every test uses its own temp folder and port 0, so files do not collide.
    maxWorkers: 4,
    env: {
      // The agent processes the tests start (node agent/cli/bin.ts) share one on-disk V8 compile
      // cache (https://nodejs.org/api/module.html#module-compile-cache): a spawn then costs
      // ~0.08 s instead of ~0.24 s. Node keys entries by the source's hash, so a stale entry is
      // never used.
      NODE_COMPILE_CACHE: join(tmpdir(), 'datapipe-agent-test-compile-cache'),
    },
    // The Debian tools the tests run (sqlfluff, packaging tools) are installed first when missing.
    globalSetup: ['test/setup/system-tools.ts'],
  },
});
