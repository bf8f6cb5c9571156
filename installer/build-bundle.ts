// Bundles the agent into one CommonJS file, dist/datapipe-agent.cjs: the package's `bin`, and the
// script that Node's single-executable mechanism embeds in the binaries (which requires CommonJS).
// The envelope schema and package.json are inlined; nothing is read from node_modules at run time.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'datapipe-agent.cjs');

await build({
  entryPoints: [join(root, 'agent', 'cli', 'bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
  legalComments: 'external',
});
console.log(`built ${outfile}`);
