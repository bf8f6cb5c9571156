// `npm run release`: the packages a technician downloads, per version, in dist/release/:
//   datapipe-agent-<version>-windows-x64.zip   exe, nssm.exe, install.ps1, example, guides, SHA256SUMS
//   datapipe-agent-<version>-x64.msi           unattended Windows install (msiexec /i ... /qn)
//   datapipe-agent_<version>_amd64.deb         Debian/Ubuntu
//   datapipe-agent-<version>.x86_64.rpm        RHEL/Fedora/SUSE
//   SHA256SUMS                                 of the four
// Offline: reuses the binaries `npm run build:bin` left in dist/ (it does not rebuild them) and
// Debian's dpkg-deb, rpmbuild and wixl. Signing: see installer/release/sign.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './build-bundle.ts';
import { DIST, LINUX_BINARY, NSSM_BINARY, WINDOWS_BINARY, writeChecksums } from './sea/artifacts.ts';
import { buildPackages } from './release/build.ts';
import { readPackageVersion, releaseDate } from './release/inputs.ts';
import { signingFromEnv } from './release/sign.ts';

export const RELEASE_DIR = join(DIST, 'release');

async function buildRelease(): Promise<void> {
  const started = Date.now();
  const missing = [LINUX_BINARY, WINDOWS_BINARY, NSSM_BINARY].filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run npm run build:bin first`);
  const version = await readPackageVersion(REPO_ROOT);
  const workDir = await mkdtemp(join(tmpdir(), 'datapipe-release-'));
  try {
    const built = await buildPackages(
      { version, repoRoot: REPO_ROOT, linuxBinary: LINUX_BINARY, windowsBinary: WINDOWS_BINARY, nssm: NSSM_BINARY, outDir: RELEASE_DIR, workDir, buildDate: releaseDate(REPO_ROOT) },
      { signing: signingFromEnv(), report: (line) => console.log(line) },
    );
    for (const pkg of built) console.log(`built     ${pkg.file} (${(pkg.bytes / 1024 / 1024).toFixed(1)} MB)`);
    process.stdout.write(await writeChecksums(built.map((pkg) => pkg.file), join(RELEASE_DIR, 'SHA256SUMS')));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(`release ${version} in ${RELEASE_DIR}; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await buildRelease();
} catch (error) {
  process.stderr.write(`build-release: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
