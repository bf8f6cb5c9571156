// The file tree both Linux packages install, staged in a folder (the .deb's data and the rpm's
// buildroot are the same tree):
//   /usr/bin/datapipe-agent                            the self-contained binary
//   /usr/lib/systemd/system/datapipe-agent.service     the unit, rendered from the same template
//                                                      `service install` uses, with the package's paths
//   /usr/lib/sysusers.d/datapipe-agent.conf            the system user (systemd-sysusers)
//   /usr/share/doc/datapipe-agent/                     guides, copyright, changelog, example config
// /etc/datapipe-agent, /var/lib/datapipe-agent and /var/log/datapipe-agent are not in the tree:
// the maintainer scripts create them with the service user as owner, so an upgrade can never reset
// their ownership or contents, and only purge deletes them.
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LINUX } from '../../agent/service/layout.ts';
import { renderUnit } from '../../agent/service/linux/unit.ts';
import { SYSUSERS_LINE } from '../../agent/service/linux/users.ts';
import { GUIDES, linuxExampleConfig, MAINTAINER, PACKAGE_NAME, type ReleaseInputs } from './inputs.ts';

export const PACKAGE_BINARY = '/usr/bin/datapipe-agent';
export const PACKAGE_UNIT = '/usr/lib/systemd/system/datapipe-agent.service';
export const PACKAGE_SYSUSERS = '/usr/lib/sysusers.d/datapipe-agent.conf';
export const DOC_DIR = `/usr/share/doc/${PACKAGE_NAME}`;

export function renderPackageUnit(): string {
  return renderUnit({
    user: LINUX.user,
    workingDir: LINUX.stateDir,
    program: { executable: PACKAGE_BINARY, leadingArgs: [] },
    configFile: `${LINUX.configDir}/config.ini`,
    readWritePaths: [LINUX.stateDir, LINUX.logDir],
  }).replace("# Written by 'datapipe-agent service install' from installer/linux/datapipe-agent.service.", `# Installed by the ${PACKAGE_NAME} package (rendered from installer/linux/datapipe-agent.service).`);
}

/** Stages the tree under `root`; `docFlavour` picks the changelog name each format expects. */
export async function stageLinuxTree(inputs: ReleaseInputs, root: string, docFlavour: 'deb' | 'rpm'): Promise<void> {
  const put = async (path: string, content: string | Buffer, mode = 0o644): Promise<void> => {
    await mkdir(dirname(join(root, path)), { recursive: true, mode: 0o755 });
    await writeFile(join(root, path), content, { mode });
  };
  await mkdir(join(root, 'usr', 'bin'), { recursive: true, mode: 0o755 });
  await copyFile(inputs.linuxBinary, join(root, PACKAGE_BINARY));
  await chmod(join(root, PACKAGE_BINARY), 0o755);
  await put(PACKAGE_UNIT, renderPackageUnit());
  await put(PACKAGE_SYSUSERS, `# The system user the datapipe-agent service runs as.\n${SYSUSERS_LINE}`);
  const example = await readFile(join(inputs.repoRoot, 'config.example.ini'), 'utf8');
  await put(`${DOC_DIR}/examples/config.example.ini`, linuxExampleConfig(example));
  for (const guide of GUIDES) await put(`${DOC_DIR}/${basename(guide)}`, await readFile(join(inputs.repoRoot, guide)));
  await put(`${DOC_DIR}/copyright`, copyrightText(inputs));
  // Debian policy 12.7: a native package's changelog is changelog.gz, compressed with gzip -9n.
  const changelog = changelogText(inputs);
  await put(`${DOC_DIR}/${docFlavour === 'deb' ? 'changelog.gz' : 'changelog'}`, docFlavour === 'deb' ? gzipSync(changelog, { level: 9 }) : changelog);
}

function copyrightText(inputs: ReleaseInputs): string {
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${PACKAGE_NAME}`,
    '',
    'Files: *',
    `Copyright: ${inputs.buildDate.getUTCFullYear()} Datapipe`,
    'License: proprietary',
    ' All rights reserved. The binary embeds Node.js (MIT) and the npm packages listed in',
    ' the datapipe-agent.cjs.LEGAL.txt of the build, each under its own license.',
    '',
  ].join('\n');
}

/** Debian changelog format (also readable as the rpm's %changelog source). */
export function changelogText(inputs: ReleaseInputs): string {
  const date = inputs.buildDate.toUTCString().replace('GMT', '+0000');
  return `${PACKAGE_NAME} (${inputs.version}) stable; urgency=medium\n\n  * Release ${inputs.version}.\n\n -- ${MAINTAINER}  ${date}\n`;
}
