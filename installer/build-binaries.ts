// `npm run build:bin`: the self-contained binaries a technician copies to a customer server.
//   dist/datapipe-agent-linux-x64       stripped Node runtime + the agent (single executable)
//   dist/datapipe-agent-win-x64.exe     the same for Windows x64
//   dist/nssm64.exe                     the Windows service wrapper, pinned by SHA-256
//   dist/SHA256SUMS                     checksums of the three files
// Steps: bundle (esbuild, CommonJS, commit embedded) -> prove the fast commands stay free of the
// AWS SDK -> one SEA blob with a V8 code cache per platform, each made by the pinned runtime it is
// injected into (node.exe under wine; installer/sea/blob.ts) -> injected into both pinned runtimes
// from the npm registry. Offline apart from the npm registry (runtimes are cached in .toolchain/).
// Must run on the pinned Node (package.json engines.node): the blob format is version-specific.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE, REPO_ROOT, bundleAgent, readBuildCommit } from './build-bundle.ts';
import { CHECKSUMS_FILE, DIST, LINUX_BINARY, NSSM_BINARY, WINDOWS_BINARY, copyPinnedNssm, writeChecksums } from './sea/artifacts.ts';
import { makeLinuxBlob, makeWindowsBlob } from './sea/blob.ts';
import { buildExecutable } from './sea/inject.ts';
import { assertAwsSdkStaysLazy } from './sea/lazy-check.ts';
import { assertBuildRunsOnPinnedNode, ensureRuntime, readPinnedNodeVersion } from './sea/runtime.ts';

async function describeSize(file: string): Promise<string> {
  return `${((await stat(file)).size / 1024 / 1024).toFixed(1)} MB`;
}

async function buildBinaries(): Promise<void> {
  const started = Date.now();
  const nodeVersion = readPinnedNodeVersion(REPO_ROOT);
  assertBuildRunsOnPinnedNode(nodeVersion);
  const linuxRuntime = ensureRuntime(REPO_ROOT, 'linux', nodeVersion);
  const windowsRuntime = ensureRuntime(REPO_ROOT, 'win', nodeVersion);

  await mkdir(DIST, { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), 'datapipe-build-bin-'));
  try {
    const commit = readBuildCommit();
    const bundle = await bundleAgent({ outfile: BUNDLE_FILE, commit });
    console.log(`bundled ${bundle} (commit ${commit}, ${await describeSize(bundle)})`);
    await assertAwsSdkStaysLazy(REPO_ROOT, workDir);
    console.log('checked: --version, --help and validate do not evaluate the AWS SDK');
    await buildExecutable(linuxRuntime, await makeLinuxBlob(linuxRuntime, bundle, workDir), LINUX_BINARY);
    const windows = await makeWindowsBlob(REPO_ROOT, windowsRuntime, bundle, workDir);
    await buildExecutable(windowsRuntime, windows.blob, WINDOWS_BINARY);
    console.log(`code cache: linux yes, windows ${windows.codeCache ? 'yes (made under wine)' : 'no'}`);
    await copyPinnedNssm(REPO_ROOT, NSSM_BINARY);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const artifacts = [LINUX_BINARY, WINDOWS_BINARY, NSSM_BINARY];
  for (const file of artifacts) console.log(`built ${file} (${await describeSize(file)})`);
  process.stdout.write(await writeChecksums(artifacts, CHECKSUMS_FILE));
  console.log(`wrote ${CHECKSUMS_FILE}; Node ${nodeVersion}; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await buildBinaries();
} catch (error) {
  process.stderr.write(`build-binaries: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
