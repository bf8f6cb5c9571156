// What a release is made of: the version (package.json), the binaries `npm run build:bin` left in
// dist/, and the files that ship beside them. Tests pass a tiny fake binary instead, so the
// package builders run in seconds; `npm run release` passes the real ones.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ReleaseInputs {
  /** Package version, e.g. 0.1.0 (package.json). */
  version: string;
  repoRoot: string;
  linuxBinary: string;
  windowsBinary: string;
  nssm: string;
  /** Where the packages are written (dist/release/). */
  outDir: string;
  /** Scratch folder for staging trees (removed by the caller). */
  workDir: string;
  /** Fixed timestamp for archive entries and changelogs, so a rebuild gives the same bytes. */
  buildDate: Date;
}

export const PACKAGE_NAME = 'datapipe-agent';
export const MAINTAINER = 'Datapipe support <support@datapipe.invalid>';
export const SUMMARY = 'Open-Meteo weather collector that delivers to Amazon S3';
/** Lines of at most 80 characters (Debian policy 5.6.13; lintian extended-description-line-too-long). */
export const DESCRIPTION = [
  'datapipe-agent polls Open-Meteo for the configured locations, keeps every',
  'cycle in a local spool and uploads it to Amazon S3 (or an S3-compatible',
  'store), retrying until S3 confirms it. It runs as the systemd service',
  'datapipe-agent under its own system user.',
];

/** The guides that ship in every package (paths relative to the repository). */
export const GUIDES = ['docs/technician-guide.md', 'docs/configuration.md', 'docs/support-guide.md'];

export function releaseFileNames(version: string): { zip: string; msi: string; deb: string; rpm: string } {
  return {
    zip: `${PACKAGE_NAME}-${version}-windows-x64.zip`,
    msi: `${PACKAGE_NAME}-${version}-x64.msi`,
    deb: `${PACKAGE_NAME}_${version}_amd64.deb`,
    rpm: `${PACKAGE_NAME}-${version}.x86_64.rpm`,
  };
}

export async function readPackageVersion(repoRoot: string): Promise<string> {
  const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`package.json version '${version}' is not MAJOR.MINOR.PATCH; the MSI and the rpm need plain numbers`);
  return version;
}

/** config.example.ini with the folders the Linux packages use (as install.sh does). */
export function linuxExampleConfig(example: string): string {
  return example.replace(/^dir = \.\/var\/logs$/m, 'dir = /var/log/datapipe-agent').replace(/^dir = \.\/var$/m, 'dir = /var/lib/datapipe-agent');
}

/**
 * The timestamp packed into archives and changelogs: SOURCE_DATE_EPOCH when set (the
 * reproducible-builds convention, https://reproducible-builds.org/specs/source-date-epoch/), else
 * the commit's time, else now (outside a git checkout).
 */
export function releaseDate(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Date {
  if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH)) return new Date(Number(env.SOURCE_DATE_EPOCH) * 1000);
  try {
    return new Date(Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot, encoding: 'utf8' }).trim()) * 1000);
  } catch {
    return new Date();
  }
}
