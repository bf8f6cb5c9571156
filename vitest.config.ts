import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Every `node agent/cli/bin.ts` a test spawns strips and compiles the agent's TypeScript again
// (~0.35 s each on this 2-core box); Node's on-disk compile cache, inherited by the children through
// the environment, cuts that to ~0.15 s. Node checks each entry against the source's hash, so a
// stale or half-written entry is recompiled, never run
// (https://nodejs.org/api/module.html#module-compile-cache).
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'datapipe-agent-node-compile-cache');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers and child processes; give them room on a 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most slow files wait on child processes, servers and timers rather than the CPU, so more
    // files than cores run at once (vitest's default is cores - 1, one file at a time on 2 cores).
    // Every test uses its own temp folder and port 0, so files do not share state.
    maxWorkers: 4,
    // The Debian tools the tests run (sqlfluff, packaging tools) are installed first when missing.
    globalSetup: ['test/setup/system-tools.ts'],
  },
});
