// Builds datapipe-agent-<version>-x64.msi with wixl from the WiX source in msi-wxs.ts. wixl takes
// only relative Source paths, so the payload is gathered in one folder under its installed names.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { releaseFileNames } from './inputs.ts';
import { renderWxs, type MsiSources } from './msi-wxs.ts';
import { runTool } from './run.ts';

export async function buildMsi(sources: MsiSources, workDir: string, outDir: string): Promise<string> {
  const dir = join(workDir, 'msi');
  await mkdir(dir, { recursive: true });
  const payload: MsiSources = { version: sources.version, exe: 'datapipe-agent.exe', nssm: 'nssm.exe', example: 'config.example.ini', installScript: 'install.ps1' };
  await copyFile(sources.exe, join(dir, payload.exe));
  await copyFile(sources.nssm, join(dir, payload.nssm));
  await copyFile(sources.example, join(dir, payload.example));
  await copyFile(sources.installScript, join(dir, payload.installScript));
  await writeFile(join(dir, 'datapipe-agent.wxs'), renderWxs(payload));
  const output = join(outDir, releaseFileNames(sources.version).msi);
  await runTool('wixl', ['--arch', 'x64', '-o', output, 'datapipe-agent.wxs'], { cwd: dir });
  return output;
}
