// Optional Authenticode signing of the Windows exe and the MSI with osslsigncode, so SmartScreen
// and AppLocker/WDAC publisher rules see a publisher instead of "Unknown". Off unless a certificate
// is given by environment:
//   DATAPIPE_SIGN_PFX=<file.pfx>  DATAPIPE_SIGN_PASSWORD=<password>  (a PKCS#12 code-signing cert)
//   DATAPIPE_SIGN_TIMESTAMP_URL=<RFC 3161 URL>   optional; without it the signature expires with the cert
// nssm.exe is never signed: it already carries no signature and the agent pins its SHA-256.
// https://github.com/mtrojnar/osslsigncode (sign -pkcs12 -pass -n -ts -h sha256; verify)
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run.ts';

export interface SigningConfig {
  pfx: string;
  password: string;
  timestampUrl?: string;
}

export function signingFromEnv(env: NodeJS.ProcessEnv = process.env): SigningConfig | undefined {
  const pfx = env.DATAPIPE_SIGN_PFX;
  if (!pfx) return undefined;
  if (env.DATAPIPE_SIGN_PASSWORD === undefined) throw new Error('DATAPIPE_SIGN_PFX is set but DATAPIPE_SIGN_PASSWORD is not; set both (an empty password is DATAPIPE_SIGN_PASSWORD=)');
  return { pfx, password: env.DATAPIPE_SIGN_PASSWORD, timestampUrl: env.DATAPIPE_SIGN_TIMESTAMP_URL || undefined };
}

/**
 * Signs `file` in place. The password reaches osslsigncode through a 0600 file (-readpass), never
 * the command line (visible to every user in the process list) or a log line.
 */
export async function signFile(file: string, signing: SigningConfig, description: string): Promise<void> {
  const signed = `${file}.signed`;
  const secretDir = await mkdtemp(join(tmpdir(), 'datapipe-sign-'));
  const passFile = join(secretDir, 'pass');
  try {
    await writeFile(passFile, signing.password, { mode: 0o600 });
    const args = ['sign', '-pkcs12', signing.pfx, '-readpass', passFile, '-n', description, '-h', 'sha256', '-in', file, '-out', signed];
    if (signing.timestampUrl) args.push('-ts', signing.timestampUrl);
    await runTool('osslsigncode', args);
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
  await rename(signed, file);
}

/** osslsigncode verify; resolves with its output when the signature is intact. */
export async function verifySignature(file: string, caFile?: string): Promise<string> {
  const result = await runTool('osslsigncode', ['verify', ...(caFile ? ['-CAfile', caFile] : []), '-in', file], { allowFailure: true });
  if (result.code !== 0) throw new Error(`osslsigncode verify ${file}: ${(result.stdout + result.stderr).trim().slice(-600)}`);
  return result.stdout;
}
