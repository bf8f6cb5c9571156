// network.ca_file: extra CA certificates (a TLS-inspecting corporate proxy's root, a private S3
// endpoint's CA) trusted IN ADDITION to Node's default roots. Read once when a client is built.
// Passing `ca` to a TLS client replaces the default store, so the list handed out is the default
// store (bundled roots + NODE_EXTRA_CA_CERTS + system store when enabled) followed by the file's
// certificates. Every certificate in the file is parsed here so a bad file fails at start-up with
// a message naming network.ca_file, not later as an obscure TLS error.
//
// Accepted as Windows exports them, so a technician needs no openssl: PEM ("Base-64 encoded X.509
// (.CER)", certutil -encode output), in UTF-8 or UTF-16 (PowerShell's Out-File default), and a
// single binary DER certificate ("DER encoded binary X.509 (.CER)"). A PKCS#7 bundle (.p7b) is
// refused with the export to choose instead. `inspectCaFile` (read + `parseCaFile`) is the one
// reader: `validate`, doctor and the TLS clients use it alike.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { getCACertificates } from 'node:tls';
import { ConfigError } from '../errors.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const EXPORT_HINT = 'export the CA certificate from the Windows certificate store (certmgr.msc > the certificate > All Tasks > Export) as "Base-64 encoded X.509 (.CER)" or "DER encoded binary X.509 (.CER)", or as PEM with: certutil -encode root.cer root.pem';
/** DER of the PKCS#7 signedData OID 1.2.840.113549.1.7.2, found near the start of a .p7b. */
const PKCS7_SIGNED_DATA = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

/** The certificates in a CA file's bytes, as PEM, or the problem in one sentence. */
export function parseCaFile(bytes: Buffer): { certificates: string[] } | { problem: string } {
  const text = decodeText(bytes);
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length > 0) {
    for (const [index, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (error) {
        return { problem: `has certificate ${index + 1} which cannot be read (${describeError(error)}: damaged or truncated); ${EXPORT_HINT}` };
      }
    }
    return { certificates: blocks };
  }
  if (text.includes('-----BEGIN PKCS7-----') || bytes.subarray(0, 64).includes(PKCS7_SIGNED_DATA)) {
    return { problem: `is a PKCS#7 bundle (.p7b), which is not supported; ${EXPORT_HINT}` };
  }
  if (bytes[0] === 0x30) {
    try {
      return { certificates: [new X509Certificate(bytes).toString()] };
    } catch {
      // Not a DER certificate either: fall through to the generic message.
    }
  }
  return { problem: `contains no certificate (neither PEM "-----BEGIN CERTIFICATE-----" blocks nor a DER certificate); ${EXPORT_HINT}` };
}

function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  return bytes.toString('utf8');
}

/** The CA list for TLS clients, or undefined when no ca_file is set (use Node's defaults). */
export async function loadTrustedCertificates(caFile: string | undefined): Promise<string[] | undefined> {
  if (caFile === undefined) return undefined;
  const extra = await readCaFile(caFile);
  return [...getCACertificates('default'), ...extra];
}

/** The PEM certificates in `caFile`; throws a ConfigError naming network.ca_file. */
export async function readCaFile(caFile: string): Promise<string[]> {
  const read = await inspectCaFile(caFile);
  if ('problem' in read) throw caFileError(caFile, read.problem, read.cause);
  return read.certificates;
}

/** readCaFile without the throw: the problem in one sentence (after "the file"), for `validate`. */
export async function inspectCaFile(caFile: string): Promise<{ certificates: string[] } | { problem: string; cause?: unknown }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(caFile);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    return { problem: `${reason} (${describeError(error)}); set it to the absolute path of a file with the CA certificates to trust`, cause: error };
  }
  return parseCaFile(bytes);
}

function caFileError(caFile: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError([{ severity: 'error', file: caFile, where: 'network.ca_file', message: `the file ${message}` }], { cause });
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
