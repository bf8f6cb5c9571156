// datapipe-agent-<version>.x86_64.rpm, built with rpmbuild -bb from the same staged tree as the
// .deb. The spec only copies the tree (nothing is compiled) and turns off rpm's post-install
// processing: brp-strip and debuginfo extraction would rewrite the single-executable binary.
// Scriptlets reuse the Debian maintainer scripts, mapped from rpm's instance counts ($1 = how many
// copies remain: 0 = erase, >= 1 = upgrade) to Debian's arguments. rpm has no purge: `rpm -e`
// keeps config, data and logs; the guide says how to delete them.
//   https://rpm-software-management.github.io/rpm/manual/spec.html
//   https://docs.fedoraproject.org/en-US/packaging-guidelines/Scriptlets/
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DESCRIPTION, PACKAGE_NAME, releaseFileNames, SUMMARY, type ReleaseInputs } from './inputs.ts';
import { DOC_DIR, PACKAGE_BINARY, PACKAGE_SYSUSERS, PACKAGE_UNIT, stageLinuxTree } from './linux-tree.ts';
import { SCRIPTS_DIR } from './deb.ts';
import { runTool } from './run.ts';

const SCRIPTLETS = [
  { section: '%post', script: 'postinst', args: 'if [ "$1" -ge 2 ]; then set -- configure upgrade; else set -- configure; fi' },
  { section: '%preun', script: 'prerm', args: 'if [ "$1" -eq 0 ]; then set -- remove; else set -- upgrade; fi' },
  { section: '%postun', script: 'postrm', args: 'if [ "$1" -eq 0 ]; then set -- remove; else set -- upgrade; fi' },
] as const;

export async function rpmSpec(inputs: ReleaseInputs, stageDir: string): Promise<string> {
  const scriptlets = await Promise.all(SCRIPTLETS.map(async ({ section, script, args }) => {
    const body = (await readFile(join(SCRIPTS_DIR, script), 'utf8')).replace(/^#!.*\n/, '');
    return `${section}\n${args}\n${body.replace(/%/g, '%%')}`;
  }));
  return [
    '%global debug_package %{nil}',
    '%global __os_install_post %{nil}',
    '%global _build_id_links none',
    `Name: ${PACKAGE_NAME}`,
    `Version: ${inputs.version}`,
    'Release: 1',
    `Summary: ${SUMMARY}`,
    'License: Proprietary',
    'BuildArch: x86_64',
    'AutoReqProv: no',
    'Requires: glibc >= 2.28, libstdc++',
    '',
    '%description',
    ...DESCRIPTION,
    '',
    '%install',
    `cp -a '${stageDir}/.' %{buildroot}/`,
    '',
    '%files',
    `%attr(0755,root,root) ${PACKAGE_BINARY}`,
    `%attr(0644,root,root) ${PACKAGE_UNIT}`,
    `%attr(0644,root,root) ${PACKAGE_SYSUSERS}`,
    `%attr(-,root,root) ${DOC_DIR}`,
    '',
    ...scriptlets,
    '%changelog',
    `* ${rpmDate(inputs.buildDate)} Datapipe support <support@datapipe.invalid> - ${inputs.version}-1`,
    `- Release ${inputs.version}.`,
    '',
  ].join('\n');
}

export async function buildRpm(inputs: ReleaseInputs): Promise<string> {
  const stage = join(inputs.workDir, 'rpm-tree');
  await stageLinuxTree(inputs, stage, 'rpm');
  const top = join(inputs.workDir, 'rpmbuild');
  await mkdir(join(top, 'SPECS'), { recursive: true });
  const spec = join(top, 'SPECS', `${PACKAGE_NAME}.spec`);
  await writeFile(spec, await rpmSpec(inputs, stage));
  await runTool('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_binary_payload w6.xzdio', spec], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(inputs.buildDate.getTime() / 1000)) },
  });
  const built = join(top, 'RPMS', 'x86_64', `${PACKAGE_NAME}-${inputs.version}-1.x86_64.rpm`);
  const output = join(inputs.outDir, releaseFileNames(inputs.version).rpm);
  await rename(built, output);
  return output;
}

/** rpm's changelog date: "Tue Dec 01 2026". */
function rpmDate(date: Date): string {
  const [weekday, day, month, year] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${day} ${year}`;
}
