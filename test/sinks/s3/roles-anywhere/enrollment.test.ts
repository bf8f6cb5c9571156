// enroll's key and CSR: the key is created once (PKCS#8, 0600) and reused, the CSR carries the
// customer id and verifies, and the test CA's certificate for it belongs to the key on disk.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { enrollKey, keyAclArguments } from '../../../../agent/sinks/s3/roles-anywhere/enrollment.ts';
import { useTempDirs } from '../../../helpers/temp-dir.ts';
import { createTestCa } from '../../../helpers/test-pki.ts';

const tempDir = useTempDirs();

describe('enrollKey', () => {
  it.each([
    ['ec', 'ec'],
    ['rsa', 'rsa'],
  ] as const)('creates a %s key once, 0600 in a 0700 folder, and a CSR for CN=<customer id> the CA can sign', async (keyType, expected) => {
    const keyFile = join(await tempDir(), 'pki', 'site.key');
    const first = await enrollKey({ keyFile, customerId: 'acme-001', keyType });
    expect(first.keyCreated).toBe(true);
    const pem = await readFile(keyFile, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(pem).asymmetricKeyType).toBe(expected);
    if (process.platform !== 'win32') {
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect((await stat(join(keyFile, '..'))).mode & 0o777).toBe(0o700);
    }
    const csr = new x509.Pkcs10CertificateRequest(first.csrPem);
    expect(csr.subject).toBe('CN=acme-001, OU=datapipe-agent');
    expect(first.csrPem).not.toContain(pem.split('\n')[1]);

    const second = await enrollKey({ keyFile, customerId: 'acme-001', keyType: keyType === 'ec' ? 'rsa' : 'ec' });
    expect(second.keyCreated).toBe(false);
    expect(await readFile(keyFile, 'utf8')).toBe(pem);
    expect(second.publicKeySha256).toBe(first.publicKeySha256);

    const certificate = new X509Certificate(await (await createTestCa()).signCsr(second.csrPem));
    expect(certificate.checkPrivateKey(createPrivateKey(pem))).toBe(true);
  });

  it('refuses to reuse a file that is not a private key, and says what to do', async () => {
    const keyFile = join(await tempDir(), 'site.key');
    await writeFile(keyFile, 'not a key\n');
    await expect(enrollKey({ keyFile, customerId: 'acme', keyType: 'ec' })).rejects.toThrow(/is not a readable unencrypted PEM private key; move it away .* run enroll again/);
    expect(await readFile(keyFile, 'utf8')).toBe('not a key\n');
  });

  it('restricts the key on Windows to Administrators, SYSTEM and the enrolling account (well-known SIDs)', () => {
    expect(keyAclArguments('C:\\ProgramData\\Datapipe\\Agent\\roles-anywhere\\site.key', 'tech')).toEqual([
      'C:\\ProgramData\\Datapipe\\Agent\\roles-anywhere\\site.key', '/inheritance:r', '/grant:r', '*S-1-5-32-544:F', '*S-1-5-18:F', 'tech:F', '/Q',
    ]);
  });
});
