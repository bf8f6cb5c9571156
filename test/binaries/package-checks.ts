// The release packages built from the real binaries (`npm run release`): checksums, sizes,
// lintian on the real .deb, the real binary running after a `dpkg --root` install into a staging
// root, and the rpm carrying the exact binary from dist/. The package logic itself (file lists,
// maintainer scripts, MSI tables) is tested fast with a fake binary in test/installer/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseFileNames } from '../../installer/release/inputs.ts';
import { sha256File } from '../../installer/sea/artifacts.ts';
import { describeRun, runProcess } from './binary-runner.ts';
import { check } from './report.ts';

export function releasePackages(releaseDir: string, version: string): Record<'zip' | 'msi' | 'deb' | 'rpm', string> {
  const names = releaseFileNames(version);
  return { zip: join(releaseDir, names.zip), msi: join(releaseDir, names.msi), deb: join(releaseDir, names.deb), rpm: join(releaseDir, names.rpm) };
}

export async function runPackageChecks(options: { releaseDir: string; version: string; linuxBinary: string }): Promise<void> {
  const packages = releasePackages(options.releaseDir, options.version);
  await check('release: packages and SHA256SUMS', async () => {
    const missing = Object.values(packages).filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run npm run release after npm run build:bin`);
    const sums = await runProcess('sha256sum', ['-c', 'SHA256SUMS'], { cwd: options.releaseDir });
    if (sums.code !== 0) throw new Error(describeRun(sums));
    const sizes = await Promise.all(Object.entries(packages).map(async ([kind, file]) => `${kind} ${((await stat(file)).size / 1024 / 1024).toFixed(1)} MB`));
    return sizes.join(', ');
  });
  await check('release: lintian on the .deb', async () => {
    const result = await runProcess('lintian', ['--tag-display-limit', '0', packages.deb], { timeoutMs: 600_000 });
    const tags = result.stdout.split('\n').filter((line) => /^[EW]: /.test(line));
    if (tags.length > 0 || result.code !== 0) throw new Error(`${tags.join('; ')} ${describeRun(result)}`);
    return 'no errors or warnings (overrides: installer/release/linux/lintian-overrides)';
  });
  await check('release: dpkg --root install runs the binary', () => withStagingRoot(async (root) => {
    const dpkg = (...args: string[]) => runProcess('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-depends', '--log=/dev/null', ...args], { timeoutMs: 300_000 });
    const install = await dpkg('-i', packages.deb);
    if (install.code !== 0) throw new Error(describeRun(install));
    // The same words as the binary in dist/ (version and the commit it was built from).
    const expected = (await runProcess(options.linuxBinary, ['--version'])).stdout.trim();
    const version = await runProcess(join(root, 'usr/bin/datapipe-agent'), ['--version']);
    if (!version.stdout.startsWith(`${options.version} `) || version.stdout.trim() !== expected) throw new Error(`expected '${expected}': ${describeRun(version)}`);
    const purge = await dpkg('--purge', 'datapipe-agent');
    if (purge.code !== 0 || existsSync(join(root, 'var/lib/datapipe-agent'))) throw new Error(`purge: ${describeRun(purge)}`);
    return `installed, /usr/bin/datapipe-agent --version = ${version.stdout.trim()}, purged`;
  }));
  await check('release: the .rpm carries the dist/ binary', async () => {
    const dump = await runProcess('rpm', ['-qp', '--dump', packages.rpm]);
    const line = dump.stdout.split('\n').find((entry) => entry.startsWith('/usr/bin/datapipe-agent '));
    const [, size, , digest] = line?.split(' ') ?? [];
    const expected = await sha256File(options.linuxBinary);
    if (digest !== expected) throw new Error(`/usr/bin/datapipe-agent in the rpm has sha256 ${digest}, dist/ has ${expected}: ${describeRun(dump)}`);
    return `/usr/bin/datapipe-agent ${size} bytes, sha256 matches dist/datapipe-agent-linux-x64`;
  });
}

async function withStagingRoot<T>(body: (root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'datapipe-smoke-dpkg-'));
  try {
    for (const dir of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc']) await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, 'var/lib/dpkg/status'), '');
    await writeFile(join(root, 'var/lib/dpkg/available'), '');
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
    return await body(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
