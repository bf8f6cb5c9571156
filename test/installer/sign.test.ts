// Optional Authenticode signing (installer/release/sign.ts) with a throwaway self-signed
// code-signing certificate made here with openssl: the exe in the zip and the MSI verify with
// osslsigncode against that certificate; without DATAPIPE_SIGN_PFX the build says, in one line,
// that nothing was signed; a half-configured signing setup is refused with what to set.
import { execFile } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../../installer/release/build.ts';
import { signFile, signingFromEnv, verifySignature } from '../../installer/release/sign.ts';
import { fakeInputs, makeTempDir, NSSM } from './release-fixture.ts';

const run = promisify(execFile);
let dir: string;
let pfx: string;
let cert: string;
const PASSWORD = 'throwaway-test-password';

beforeAll(async () => {
  dir = await makeTempDir('datapipe-sign-test-');
  const key = join(dir, 'key.pem');
  cert = join(dir, 'cert.pem');
  pfx = join(dir, 'cert.pfx');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=Datapipe Test Signing',
    '-addext', 'extendedKeyUsage=codeSigning', '-addext', 'keyUsage=digitalSignature']);
  await run('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', pfx, '-passout', `pass:${PASSWORD}`]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Authenticode signing', () => {
  it('signs a Windows executable so that osslsigncode verify accepts it against the certificate', async () => {
    const exe = join(dir, 'program.exe');
    await copyFile(NSSM, exe);
    await expect(verifySignature(exe, cert)).rejects.toThrow(/osslsigncode verify/);
    await signFile(exe, { pfx, password: PASSWORD }, 'Datapipe Agent');
    const output = await verifySignature(exe, cert);
    expect(output).toContain('Signature verification: ok');
    expect(output).toContain('Datapipe Test Signing');
  });

  it('the release signs the exe that goes into the zip and the MSI, and both verify', async () => {
    const inputs = await fakeInputs(dir, '0.1.0');
    inputs.windowsBinary = join(dir, 'unsigned.exe');
    await copyFile(NSSM, inputs.windowsBinary);
    const lines: string[] = [];
    const built = await buildPackages(inputs, { kinds: ['zip', 'msi'], signing: { pfx, password: PASSWORD }, report: (line) => lines.push(line) });
    expect(lines.join('\n')).toMatch(/^signed {4}.*datapipe-agent-win-x64\.exe with .*cert\.pfx$/m);
    expect(await verifySignature(join(inputs.workDir, 'datapipe-agent-win-x64.exe'), cert)).toContain('Signature verification: ok');
    const msi = built.find((pkg) => pkg.kind === 'msi')!.file;
    expect(await verifySignature(msi, cert)).toContain('Signature verification: ok');
  }, 60_000);

  it('without a certificate the build says plainly that nothing is signed', async () => {
    const inputs = await fakeInputs(dir, '0.1.2');
    const lines: string[] = [];
    await buildPackages(inputs, { kinds: ['zip'], report: (line) => lines.push(line) });
    expect(lines).toEqual(['unsigned  no DATAPIPE_SIGN_PFX: the exe and the MSI are not Authenticode-signed (see docs/technician-guide.md, "Unsigned programs")']);
  });

  it('takes the certificate from the environment and refuses a PFX without its password variable', () => {
    expect(signingFromEnv({})).toBeUndefined();
    expect(signingFromEnv({ DATAPIPE_SIGN_PFX: 'c.pfx', DATAPIPE_SIGN_PASSWORD: 'p', DATAPIPE_SIGN_TIMESTAMP_URL: 'http://ts.example' }))
      .toEqual({ pfx: 'c.pfx', password: 'p', timestampUrl: 'http://ts.example' });
    expect(() => signingFromEnv({ DATAPIPE_SIGN_PFX: 'c.pfx' })).toThrow('DATAPIPE_SIGN_PFX is set but DATAPIPE_SIGN_PASSWORD is not');
  });

  it('a wrong password fails the build without showing the password', async () => {
    const exe = join(dir, 'wrong.exe');
    await copyFile(NSSM, exe);
    const failure = await signFile(exe, { pfx, password: 'not-the-password' }, 'x').then(() => undefined, (error: Error) => error);
    expect(failure?.message).toMatch(/osslsigncode .* failed/);
    expect(failure?.message).not.toContain('not-the-password');
  });
});
