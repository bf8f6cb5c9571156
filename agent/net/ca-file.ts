// network.ca_file: extra CA certificates (a TLS-inspecting corporate proxy's root, a private S3
// endpoint's CA) trusted IN ADDITION to Node's default roots. Read once when a client is built.
// Passing `ca` to a TLS client replaces the default store, so the list handed out is the default
// store (bundled roots + NODE_EXTRA_CA_CERTS + system store when enabled) followed by the file's
// certificates. Every certificate in the file is parsed here so a bad file fails at start-up with
// a message naming network.ca_file, not later as an obscure TLS error.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { getCACertificates } from 'node:tls';
import { ConfigError } from '../errors.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The CA list for TLS clients, or undefined when no ca_file is set (use Node's defaults). */
export async function loadTrustedCertificates(caFile: string | undefined): Promise<string[] | undefined> {
  if (caFile === undefined) return undefined;
  const extra = await readCaFile(caFile);
  return [...getCACertificates('default'), ...extra];
}

/** The PEM certificates in `caFile`; throws a ConfigError naming network.ca_file. */
export async function readCaFile(caFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(caFile, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw caFileError(caFile, `${reason} (${describeError(error)}); set it to the absolute path of a PEM file with the CA certificates to trust`, error);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw caFileError(
      caFile,
      'contains no PEM certificate (expected "-----BEGIN CERTIFICATE-----" blocks); if it is a DER/.cer file, convert it with: openssl x509 -inform der -in ca.cer -out ca.pem',
    );
  }
  blocks.forEach((block, index) => checkCertificate(caFile, block, index + 1));
  return blocks;
}

function checkCertificate(caFile: string, pem: string, position: number): void {
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw caFileError(caFile, `has certificate ${position} which is not a valid PEM certificate (${describeError(error)}); export the CA certificate again in PEM format`, error);
  }
}

function caFileError(caFile: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError([{ severity: 'error', file: caFile, where: 'network.ca_file', message: `the file ${message}` }], { cause });
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
