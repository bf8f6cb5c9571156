// Builds the four release packages from the inputs: the Windows zip and MSI (with the exe signed
// first when a certificate is configured) and the .deb and .rpm. Used by installer/build-release.ts
// with the real binaries and by the tests with a tiny fake one.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDeb } from './deb.ts';
import { type ReleaseInputs } from './inputs.ts';
import { buildMsi } from './msi.ts';
import { buildRpm } from './rpm.ts';
import { signFile, type SigningConfig } from './sign.ts';
import { buildWindowsZip } from './zip.ts';

export type PackageKind = 'zip' | 'msi' | 'deb' | 'rpm';
export const ALL_PACKAGES: PackageKind[] = ['zip', 'msi', 'deb', 'rpm'];

export interface BuiltPackage {
  kind: PackageKind;
  file: string;
  bytes: number;
}

export interface BuildOptions {
  kinds?: PackageKind[];
  signing?: SigningConfig;
  report?: (line: string) => void;
}

export async function buildPackages(inputs: ReleaseInputs, options: BuildOptions = {}): Promise<BuiltPackage[]> {
  const kinds = options.kinds ?? ALL_PACKAGES;
  const report = options.report ?? (() => undefined);
  await mkdir(inputs.outDir, { recursive: true });
  await mkdir(inputs.workDir, { recursive: true });
  const exe = join(inputs.workDir, 'datapipe-agent-win-x64.exe');
  if (kinds.includes('zip') || kinds.includes('msi')) {
    await copyFile(inputs.windowsBinary, exe);
    if (options.signing) {
      await signFile(exe, options.signing, 'Datapipe Agent');
      report(`signed    ${exe} with ${options.signing.pfx}`);
    } else {
      report('unsigned  no DATAPIPE_SIGN_PFX: the exe and the MSI are not Authenticode-signed (see docs/technician-guide.md, "Unsigned programs")');
    }
  }
  const built: BuiltPackage[] = [];
  const add = async (kind: PackageKind, file: string): Promise<void> => {
    built.push({ kind, file, bytes: (await stat(file)).size });
  };
  if (kinds.includes('zip')) await add('zip', await buildWindowsZip(inputs, exe));
  if (kinds.includes('msi')) {
    const msi = await buildMsi({
      version: inputs.version,
      exe,
      nssm: inputs.nssm,
      example: join(inputs.repoRoot, 'config.example.ini'),
      installScript: join(inputs.repoRoot, 'installer', 'install.ps1'),
    }, inputs.workDir, inputs.outDir);
    if (options.signing) await signFile(msi, options.signing, 'Datapipe Agent');
    await add('msi', msi);
  }
  if (kinds.includes('deb')) await add('deb', await buildDeb(inputs));
  if (kinds.includes('rpm')) await add('rpm', await buildRpm(inputs));
  return built;
}
