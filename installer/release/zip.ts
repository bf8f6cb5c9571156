// datapipe-agent-<version>-windows-x64.zip: everything install.ps1 needs, flat, so it runs from
// the unzipped folder ($PSScriptRoot is that folder; the names below are the ones it looks for),
// plus the guides, SHA256SUMS and VERIFY.txt with the PowerShell line that checks them.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { sha256File } from '../sea/artifacts.ts';
import { GUIDES, releaseFileNames, type ReleaseInputs } from './inputs.ts';

/** Checks every line of SHA256SUMS (sha256sum's format) in the current folder; prints ok/BAD per file. */
export const VERIFY_ONE_LINER = "Get-Content .\\SHA256SUMS | ForEach-Object { $h, $f = $_ -split '  ', 2; if ((Get-FileHash -Algorithm SHA256 -LiteralPath $f).Hash -eq $h) { \"ok   $f\" } else { \"BAD  $f\" } }";

export interface ZipFile {
  name: string;
  source: string;
  mode: number;
}

export function windowsZipFiles(inputs: ReleaseInputs, exe: string): ZipFile[] {
  return [
    { name: 'datapipe-agent-win-x64.exe', source: exe, mode: 0o100755 },
    // The name the technician guide and install.ps1 use (dist/ calls it nssm64.exe).
    { name: 'nssm.exe', source: inputs.nssm, mode: 0o100755 },
    { name: 'install.ps1', source: join(inputs.repoRoot, 'installer', 'install.ps1'), mode: 0o100644 },
    { name: 'config.example.ini', source: join(inputs.repoRoot, 'config.example.ini'), mode: 0o100644 },
    ...GUIDES.map((guide) => ({ name: basename(guide), source: join(inputs.repoRoot, guide), mode: 0o100644 })),
  ];
}

export function verifyText(version: string): string {
  return [
    `datapipe-agent ${version} for Windows x64: checking the files of this package`,
    '',
    'In PowerShell, in this folder:',
    '',
    `  ${VERIFY_ONE_LINER}`,
    '',
    'Every line must start with "ok". Any "BAD" line: download the package again.',
    'Linux: sha256sum -c SHA256SUMS',
    '',
  ].join('\r\n');
}

export async function buildWindowsZip(inputs: ReleaseInputs, exe: string): Promise<string> {
  const files = windowsZipFiles(inputs, exe);
  const sums = await Promise.all(files.map(async (file) => `${await sha256File(file.source)}  ${file.name}`));
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addFile(file.source, file.name, { mtime: inputs.buildDate, mode: file.mode });
  zip.addBuffer(Buffer.from(`${sums.join('\n')}\n`), 'SHA256SUMS', { mtime: inputs.buildDate, mode: 0o100644 });
  zip.addBuffer(Buffer.from(verifyText(inputs.version)), 'VERIFY.txt', { mtime: inputs.buildDate, mode: 0o100644 });
  zip.end();
  const output = join(inputs.outDir, releaseFileNames(inputs.version).zip);
  const partial = `${output}.partial`;
  try {
    await pipeline(zip.outputStream, createWriteStream(partial));
    await rename(partial, output);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return output;
}

