// datapipe-agent_<version>_amd64.deb, built with dpkg-deb from the staged Linux tree (no
// debhelper: the tree is prebuilt, there is nothing to compile). Follows Debian policy where a
// binary-only package can: control fields (policy 5.3, 5.6), md5sums, maintainer scripts with the
// arguments of policy 6.5-6.6 (remove keeps data, purge deletes it), a native changelog.gz and a
// machine-readable copyright, and a lintian overrides file whose every line says why.
//   https://www.debian.org/doc/debian-policy/ch-controlfields.html
//   https://www.debian.org/doc/debian-policy/ch-maintainerscripts.html
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESCRIPTION, MAINTAINER, PACKAGE_NAME, releaseFileNames, SUMMARY, type ReleaseInputs } from './inputs.ts';
import { stageLinuxTree } from './linux-tree.ts';
import { runTool } from './run.ts';

export const SCRIPTS_DIR = fileURLToPath(new URL('./linux/', import.meta.url));
export const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;

/** The binary needs glibc >= 2.28 and libstdc++ >= GCC 5 (GLIBCXX_3.4.21): objdump -T of the Node 24 runtime. */
export const DEB_DEPENDS = 'libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 5), passwd | systemd';

export function debControl(version: string, installedSizeKb: number): string {
  return [
    `Package: ${PACKAGE_NAME}`,
    `Version: ${version}`,
    'Architecture: amd64',
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedSizeKb}`,
    `Depends: ${DEB_DEPENDS}`,
    'Section: net',
    'Priority: optional',
    `Description: ${SUMMARY}`,
    ...DESCRIPTION.map((line) => ` ${line}`),
    '',
  ].join('\n');
}

export async function buildDeb(inputs: ReleaseInputs): Promise<string> {
  const root = join(inputs.workDir, 'deb');
  await stageLinuxTree(inputs, root, 'deb');
  await mkdir(join(root, 'usr/share/lintian/overrides'), { recursive: true });
  await copyFile(join(SCRIPTS_DIR, 'lintian-overrides'), join(root, `usr/share/lintian/overrides/${PACKAGE_NAME}`));
  const files = await listFiles(root);
  const control = join(root, 'DEBIAN');
  await mkdir(control, { mode: 0o755 });
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(root, file))).size));
  // Policy 5.6.20: the installed size in KiB, rounded up.
  const installedSizeKb = Math.ceil(sizes.reduce((sum, size) => sum + size, 0) / 1024);
  await writeFile(join(control, 'control'), debControl(inputs.version, installedSizeKb), { mode: 0o644 });
  const sums = await Promise.all(files.map(async (file) => `${createHash('md5').update(await readFile(join(root, file))).digest('hex')}  ${file}`));
  await writeFile(join(control, 'md5sums'), `${sums.join('\n')}\n`, { mode: 0o644 });
  for (const script of MAINTAINER_SCRIPTS) {
    await copyFile(join(SCRIPTS_DIR, script), join(control, script));
    await chmod(join(control, script), 0o755);
  }
  const output = join(inputs.outDir, releaseFileNames(inputs.version).deb);
  await runTool('dpkg-deb', ['--root-owner-group', '--build', root, output], { env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(inputs.buildDate.getTime() / 1000)) } });
  return output;
}

/** Regular files under `root`, relative, sorted (DEBIAN/ excluded). */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith('DEBIAN/'))
    .sort();
}
