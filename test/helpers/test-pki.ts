// A throw-away certificate authority for the Roles Anywhere tests, made per test with
// @peculiar/x509 on node:crypto's WebCrypto: it signs the CSRs `enroll` writes (as the company's
// CA would) and issues ready-made site certificates for the negative cases.
import { generateKeyPairSync, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type Provider = Parameters<typeof x509.X509CertificateGenerator.create>[1];
const crypto = webcrypto as unknown as Provider;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestCa {
  certificate: X509Certificate;
  pem: string;
  /** Signs a PEM CSR after checking its own signature; returns the certificate PEM. */
  signCsr(csrPem: string, validity?: Validity): Promise<string>;
  /** A new key and a certificate for `subject`, both PEM. */
  issue(subject: string, options?: Validity & { keyType?: 'ec' | 'rsa' }): Promise<{ certificatePem: string; privateKeyPem: string }>;
}

export async function createTestCa(name = 'CN=Datapipe Test CA, O=Example Corp'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPairLike;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 3650 * DAY_MS),
      keys: keys as never,
      signingAlgorithm: ALGORITHM,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    },
    crypto,
  );
  const issueFor = async (subject: string, publicKey: x509.PublicKey | CryptoKeyLike, validity: Validity = {}) => {
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serial(),
        subject,
        issuer: ca.subject,
        notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
        notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
        publicKey: publicKey as never,
        signingKey: keys.privateKey as never,
        signingAlgorithm: ALGORITHM,
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
      },
      crypto,
    );
    return certificate.toString('pem');
  };
  const pem = ca.toString('pem');
  return {
    certificate: new X509Certificate(pem),
    pem,
    async signCsr(csrPem, validity) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify(crypto))) throw new Error('test CA: the CSR signature does not verify');
      return issueFor(csr.subject, csr.publicKey, validity);
    },
    async issue(subject, options = {}) {
      const pair = options.keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
      const certificatePem = await issueFor(subject, new x509.PublicKey(spki), options);
      return { certificatePem, privateKeyPem: String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })) };
    },
  };
}

type CryptoKeyLike = object;
interface CryptoKeyPairLike {
  privateKey: CryptoKeyLike;
  publicKey: CryptoKeyLike;
}

function serial(): string {
  // Positive, 16 bytes: the high bit cleared.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
