// The SEA preparation blob, one per target platform, each with a V8 code cache. With
// `useCodeCache: true`, Node compiles the main script while it makes the blob and stores V8's code
// cache in it, so the binary deserialises the compiled top level instead of parsing the 7 MB
// bundle at every start ("V8 code cache support",
// https://nodejs.org/docs/latest-v24.x/api/single-executable-applications.html). That cache is
// only valid for the V8 build and platform that made it, so each blob is made by the runtime it is
// injected into: the Linux blob by the pinned Linux node, the Windows blob by the pinned node.exe
// running under wine in the chroot of .ci/wine-setup.sh (docs/binaries.md). Measured here: Linux
// `--version` 153 -> ~100 ms.
//
// Without the chroot (no root, or .ci/wine-setup.sh never ran), the Windows blob is made without a
// code cache (a blob without cache or snapshot is the same on every platform): the binary works,
// it only starts slower, and the build says so.
//
// The docs of Node 24 say `import()` does not work with `useCodeCache`; the bundle only keeps
// import() of built-in modules (node:sea in agent/service/program.ts, node:http and
// node:async_hooks inside the AWS SDK), and those work in a code-cached 24.21.0 SEA (tried here;
// Node later removed the note, nodejs/node#62678).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from './runtime.ts';

interface SeaConfig {
  main: string;
  output: string;
  disableExperimentalSEAWarning: true;
  useSnapshot: false;
  useCodeCache: boolean;
}

function seaConfig(main: string, output: string, useCodeCache: boolean): SeaConfig {
  return { main, output, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache };
}

/** The Linux blob, made by the Linux runtime itself. */
export async function makeLinuxBlob(runtime: Runtime, bundleFile: string, workDir: string): Promise<string> {
  const blobFile = join(workDir, 'datapipe-agent-linux.blob');
  const configFile = join(workDir, 'sea-config-linux.json');
  await writeFile(configFile, JSON.stringify(seaConfig(bundleFile, blobFile, true), null, 2));
  execFileSync(runtime.executable, ['--experimental-sea-config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  return blobFile;
}

/**
 * The Windows blob: made by node.exe under wine when the chroot is there, else without a code
 * cache by the running (pinned) Linux Node. Returns the blob and whether it has a code cache.
 */
export async function makeWindowsBlob(root: string, runtime: Runtime, bundleFile: string, workDir: string): Promise<{ blob: string; codeCache: boolean }> {
  const wine = join(root, '.ci', 'wine.sh');
  const chroot = spawnSync('bash', [wine, 'root'], { encoding: 'utf8' }).stdout.trim();
  // The mark .ci/wine-setup.sh leaves on a finished chroot (.ci/wine-lib.sh WINE_READY_MARK).
  if (chroot && existsSync(join(chroot, '.datapipe-wine-ready')) && process.getuid?.() === 0) {
    const blob = await makeBlobUnderWine(wine, chroot, runtime, bundleFile, workDir);
    if (blob) return { blob, codeCache: true };
  }
  console.log('no wine chroot (run .ci/wine-setup.sh as root): the Windows binary is built without a code cache and starts slower');
  const blobFile = join(workDir, 'datapipe-agent-win.blob');
  const configFile = join(workDir, 'sea-config-win.json');
  await writeFile(configFile, JSON.stringify(seaConfig(bundleFile, blobFile, false), null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { blob: blobFile, codeCache: false };
}

/** node.exe and the bundle are copied into the chroot's /tmp (Z:\tmp\... for wine); undefined if wine cannot run. */
async function makeBlobUnderWine(wine: string, chroot: string, runtime: Runtime, bundleFile: string, workDir: string): Promise<string | undefined> {
  const name = `datapipe-sea-${process.pid}`;
  const hostDir = join(chroot, 'tmp', name);
  const windowsDir = `Z:\\tmp\\${name}`;
  try {
    await mkdir(hostDir, { recursive: true });
    await copyFile(runtime.executable, join(hostDir, 'node.exe'));
    await copyFile(bundleFile, join(hostDir, 'datapipe-agent.cjs'));
    await writeFile(join(hostDir, 'sea-config.json'), JSON.stringify(seaConfig(`${windowsDir}\\datapipe-agent.cjs`, `${windowsDir}\\datapipe-agent.blob`, true)));
    const result = spawnSync('bash', [wine, 'run', '--cwd', `/tmp/${name}`, `${windowsDir}\\node.exe`, '--experimental-sea-config', `${windowsDir}\\sea-config.json`], { encoding: 'utf8' });
    if (result.status !== 0) {
      console.log(`node.exe under wine could not make the blob (exit ${result.status}): ${(result.stderr ?? '').trim().split('\n').at(-1) ?? ''}`);
      return undefined;
    }
    const blobFile = join(workDir, 'datapipe-agent-win.blob');
    await copyFile(join(hostDir, 'datapipe-agent.blob'), blobFile);
    return blobFile;
  } finally {
    await rm(hostDir, { recursive: true, force: true });
  }
}
