import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../agent/errors.ts';
import { loadTrustedCertificates, readCaFile } from '../../agent/net/ca-file.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'tls');
const CA_FILE = join(FIXTURES, 'ca.crt');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'net-ca-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTrustedCertificates', () => {
  it('leaves Node defaults alone when no ca_file is set', async () => {
    await expect(loadTrustedCertificates(undefined)).resolves.toBeUndefined();
  });

  it('trusts the file in addition to the default roots', async () => {
    const defaults = getCACertificates('default');
    const trusted = await loadTrustedCertificates(CA_FILE);
    expect(defaults.length).toBeGreaterThan(50);
    expect(trusted).toHaveLength(defaults.length + 1);
    expect(trusted).toEqual(expect.arrayContaining(defaults));
    const extra = new X509Certificate(trusted?.at(-1) ?? '');
    expect(extra.subject).toContain('datapipe-agent test CA');
  });

  it('reads every certificate of a bundle, ignoring text around them', async () => {
    const bundle = join(dir, 'bundle.pem');
    const ca = await readFile(CA_FILE, 'utf8');
    const server = await readFile(join(FIXTURES, 'server.crt'), 'utf8');
    await writeFile(bundle, `Corporate root\n${ca}\n# issuing CA\r\n${server.replace(/\n/g, '\r\n')}`);
    await expect(readCaFile(bundle)).resolves.toHaveLength(2);
  });
});

describe('readCaFile reads the formats Windows exports, no openssl needed', () => {
  const fingerprint = async () => new X509Certificate(await readFile(CA_FILE)).fingerprint256;

  it('a binary DER certificate ("DER encoded binary X.509 (.CER)")', async () => {
    const path = join(dir, 'ca.cer');
    await writeFile(path, new X509Certificate(await readFile(CA_FILE)).raw);
    const certificates = await readCaFile(path);
    expect(certificates.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual([await fingerprint()]);
  });

  it('PEM saved as UTF-16 with a byte order mark (PowerShell Out-File)', async () => {
    const path = join(dir, 'ca-utf16.pem');
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(await readFile(CA_FILE, 'utf8'), 'utf16le')]));
    const certificates = await readCaFile(path);
    expect(certificates.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual([await fingerprint()]);
  });
});

describe('readCaFile errors name network.ca_file', () => {
  async function expectProblem(path: string, message: RegExp): Promise<void> {
    const error = await readCaFile(path).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems[0];
    expect(problem).toMatchObject({ severity: 'error', file: path, where: 'network.ca_file' });
    expect((error as ConfigError).message).toMatch(message);
  }

  it('a text file that is not a certificate', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'this is not a certificate\n');
    await expectProblem(path, /network\.ca_file: the file contains no certificate.*certutil -encode/);
  });

  it('a PKCS#7 bundle (.p7b), with the export to choose instead', async () => {
    const path = join(dir, 'roots.p7b');
    const made = spawnSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', CA_FILE, '-outform', 'DER', '-out', path]);
    expect(made.status).toBe(0);
    await expectProblem(path, /is a PKCS#7 bundle \(\.p7b\).*DER encoded binary X\.509/);
  });

  it('a damaged PEM block', async () => {
    const path = join(dir, 'broken.pem');
    await writeFile(path, '-----BEGIN CERTIFICATE-----\nMIIBroken!!notbase64\n-----END CERTIFICATE-----\n');
    await expectProblem(path, /has certificate 1 which cannot be read/);
  });

  it('a missing file', async () => {
    const path = join(dir, 'missing.pem');
    await expectProblem(path, /the file does not exist \(ENOENT\); set it to the absolute path of a file with the CA certificates/);
  });

  it('a folder instead of a file', async () => {
    await expectProblem(dir, /the file cannot be read \(EISDIR\)/);
  });
});
