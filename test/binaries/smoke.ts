// Smoke test of the built binaries (run by .ci/run after `npm run build:bin`; not a vitest test,
// because it needs the dist/ artifacts, root and a wine chroot). Prints one line per check and
// exits non-zero if any check fails.
//   node .ci/toolchain.mjs node test/binaries/smoke.ts [--skip-wine]
// Linux: checksums, --version, validate, once against the local S3 server and Open-Meteo
// stand-in, then the release packages of `npm run release` (package-checks.ts). Windows (wine 10
// in a Debian trixie chroot, see .ci/wine-setup.sh): the same three, the Windows service life
// cycle under wine's service manager, then the MSI under wine's msiexec (msi-checks.ts).
// --skip-wine, or a chroot that cannot be built, skips the Windows part loudly.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../installer/build-bundle.ts';
import { CHECKSUMS_FILE, DIST, LINUX_BINARY, WINDOWS_BINARY } from '../../installer/sea/artifacts.ts';
import { runAgentChecks } from './agent-checks.ts';
import { describeRun, linuxRunner, runProcess, wineRunner } from './binary-runner.ts';
import { runMsiChecks } from './msi-checks.ts';
import { releasePackages, runPackageChecks } from './package-checks.ts';
import { check, skip, summarise } from './report.ts';
import { runServiceChecks } from './service-checks.ts';
import { prepareWine, stopWine } from './wine.ts';

const WINDOWS_CHECKS = ['--version', 'validate config.example.ini', 'once -> S3', 'service life cycle', 'msi install -> upload -> uninstall'];
const RELEASE_DIR = join(DIST, 'release');

async function main(): Promise<number> {
  const started = Date.now();
  const { values } = parseArgs({ options: { 'skip-wine': { type: 'boolean', default: false } } });
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const missing = [LINUX_BINARY, WINDOWS_BINARY, CHECKSUMS_FILE].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    console.log(`FAIL  build artifacts missing: ${missing.join(', ')}; run npm run build:bin first`);
    return 1;
  }

  await check('checksums (sha256sum -c SHA256SUMS)', async () => {
    const result = await runProcess('sha256sum', ['-c', 'SHA256SUMS'], { cwd: DIST });
    if (result.code !== 0) throw new Error(describeRun(result));
    return result.stdout.trim().split('\n').join('; ');
  });
  await runAgentChecks(linuxRunner(LINUX_BINARY), { repoRoot: REPO_ROOT, version, tempBase: tmpdir() });
  await runPackageChecks({ releaseDir: RELEASE_DIR, version, linuxBinary: LINUX_BINARY });

  if (values['skip-wine']) {
    for (const name of WINDOWS_CHECKS) skip(`windows: ${name}`, '--skip-wine given');
  } else {
    await runWindowsChecks(version);
  }
  return summarise(started);
}

async function runWindowsChecks(version: string): Promise<void> {
  const wine = await prepareWine(REPO_ROOT);
  if (!wine.ok) {
    console.log('!!! WINE UNAVAILABLE: the Windows binary is NOT tested in this run !!!');
    for (const name of WINDOWS_CHECKS) skip(`windows: ${name}`, wine.reason);
    return;
  }
  console.log(`wine: ${wine.setupLine}`);
  try {
    const runner = wineRunner(REPO_ROOT, wine.root, WINDOWS_BINARY);
    await runAgentChecks(runner, { repoRoot: REPO_ROOT, version, tempBase: join(wine.root, 'tmp') });
    await runServiceChecks(runner, wine.root);
    const { msi } = releasePackages(RELEASE_DIR, version);
    if (existsSync(msi)) await runMsiChecks({ repoRoot: REPO_ROOT, wineRoot: wine.root, msi });
    else await check('windows msi: install -> upload -> uninstall', () => Promise.reject(new Error(`${msi} is missing: run npm run release first`)));
  } finally {
    await stopWine(REPO_ROOT);
  }
}

process.exitCode = await main();
