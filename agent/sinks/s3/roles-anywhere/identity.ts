// The site's X.509 identity on disk: the certificate the company's CA signed, the optional chain
// of intermediate CAs, and the private key `enroll` created (PKCS#8 PEM; PKCS#1 and SEC1 PEM are
// read too). Read by the config rules (to report a wrong file at `validate`), by doctor and status
// (the expiry warning) and by the credential provider (to sign). Nothing here prints key material.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CodedError } from '../../../errors.ts';
import type { SigningIdentity } from './signing.ts';

/** WARN in doctor and status when the certificate expires within this many days. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IdentityFiles {
  certificateFile: string;
  privateKeyFile: string;
  certificateChainFile?: string;
}

type IdentityFileKey = 'certificate_file' | 'private_key_file' | 'certificate_chain_file';

/** A problem with one of the files; `key` is the config key that names the file. */
export class IdentityFileError extends CodedError<IdentityFileKey> {
  constructor(key: IdentityFileKey, message: string) {
    super('IdentityFileError', key, message);
  }

  /** The config key that names the file: the error's code, under the name callers read. */
  get key(): IdentityFileKey {
    return this.code;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export async function readCertificates(file: string, key: IdentityFileError['key']): Promise<X509Certificate[]> {
  const text = await readText(file, key, 'certificate');
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new IdentityFileError(key, `${file} contains no PEM certificate (text starting with -----BEGIN CERTIFICATE-----); save the certificate your CA issued in PEM (Base-64) form`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new IdentityFileError(key, `certificate ${index + 1} in ${file} cannot be read (damaged or truncated); save it again from what the CA sent`);
    }
  });
}

export async function readPrivateKey(file: string): Promise<KeyObject> {
  const text = await readText(file, 'private_key_file', 'private key');
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // The reason may quote key bytes; it is not repeated.
    throw new IdentityFileError('private_key_file', `${file} is not a readable unencrypted PEM private key; it must be the key 'datapipe-agent enroll' created (run enroll again to create a new key and CSR)`);
  }
}

/** Reads all three files and checks the key belongs to the certificate. */
export async function readSigningIdentity(files: IdentityFiles): Promise<SigningIdentity> {
  const [certificate, ...bundled] = await readCertificates(files.certificateFile, 'certificate_file');
  if (!certificate) throw new IdentityFileError('certificate_file', `${files.certificateFile} contains no certificate`);
  const chain = files.certificateChainFile ? await readCertificates(files.certificateChainFile, 'certificate_chain_file') : bundled;
  const privateKey = await readPrivateKey(files.privateKeyFile);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new IdentityFileError('private_key_file', `${files.privateKeyFile} is not the key of the certificate in ${files.certificateFile} (subject ${certificate.subject.replace(/\n/g, ', ')}); the CA must sign the CSR that 'datapipe-agent enroll' wrote next to this key, or run enroll again and send the new CSR`);
  }
  return { certificate, chain, privateKey };
}

export type ExpiryState = 'valid' | 'expiring' | 'expired' | 'not-yet-valid';

export function certificateExpiry(certificate: X509Certificate, now: Date): { state: ExpiryState; validTo: Date; daysLeft: number } {
  const validTo = new Date(certificate.validTo);
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  if (now.getTime() < new Date(certificate.validFrom).getTime()) return { state: 'not-yet-valid', validTo, daysLeft };
  if (now.getTime() >= validTo.getTime()) return { state: 'expired', validTo, daysLeft };
  return { state: daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'valid', validTo, daysLeft };
}

/** The CN of the certificate's subject (the customer id enroll put there), or undefined. */
export function subjectCommonName(certificate: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
}

async function readText(file: string, key: IdentityFileError['key'], what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const fix = key === 'private_key_file' || key === 'certificate_file'
        ? "run 'datapipe-agent enroll -c <config.ini>' to create the key and a CSR, have the CSR signed by your CA, and save the certificate at roles_anywhere.certificate_file"
        : 'save the intermediate CA certificates (PEM) there, or remove certificate_chain_file';
      throw new IdentityFileError(key, `the ${what} file ${file} does not exist; ${fix}`);
    }
    throw new IdentityFileError(key, `cannot read the ${what} file ${file} (${code}); give the account the agent runs as read access`);
  }
}
