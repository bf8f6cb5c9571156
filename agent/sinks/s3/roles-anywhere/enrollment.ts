// `enroll`'s work: the site's private key, created here and never sent anywhere, and a PKCS#10
// certificate signing request (CSR) for the company's CA. The key is PKCS#8 PEM, written with
// O_EXCL and mode 0600 (on Windows restricted with icacls to Administrators, SYSTEM and the
// account running enroll). An existing key is kept and a new CSR made from it, so renewing a
// certificate never changes the key (and re-running enroll is harmless).
//
// The CSR subject is `CN=<customer id>, OU=datapipe-agent`. With the profile's default attribute
// mapping, IAM Roles Anywhere puts the subject's RDNs into the session as principal tags
// `x509Subject/CN` and `x509Subject/OU`
// (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/attribute-mapping.html): the role's
// trust policy requires OU=datapipe-agent and the PUT policy allows `customer=${CN}/` only
// (sql/aws/roles-anywhere-*.json). The CSR is built with @peculiar/x509 on node:crypto's WebCrypto.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { ADMINISTRATORS_SID, SYSTEM_SID } from '../../../service/windows/icacls-commands.ts';

export const SUBJECT_OU = 'datapipe-agent';
export type KeyType = 'ec' | 'rsa';

export interface EnrollmentResult {
  keyCreated: boolean;
  csrPem: string;
  subject: string;
  /** SHA-256 of the public key (SPKI DER), hex: lets the CA operator check the CSR is this one. */
  publicKeySha256: string;
}

export function subjectFor(customerId: string): string {
  return `CN=${customerId}, OU=${SUBJECT_OU}`;
}

export async function enrollKey(options: { keyFile: string; customerId: string; keyType: KeyType }): Promise<EnrollmentResult> {
  let privateKey = await readExistingKey(options.keyFile);
  const keyCreated = privateKey === undefined;
  if (!privateKey) privateKey = await createKeyFile(options.keyFile, options.keyType);
  const publicKey = createPublicKey(privateKey);
  const algorithm = webCryptoAlgorithm(privateKey);
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), algorithm, true, ['verify']),
  };
  const subject = subjectFor(options.customerId);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: subject, keys, signingAlgorithm: algorithm, extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)] },
    webcrypto as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1],
  );
  const publicKeySha256 = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return { keyCreated, csrPem: csr.toString('pem'), subject, publicKeySha256 };
}

async function readExistingKey(file: string): Promise<KeyObject | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the existing private key ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); run enroll as the account that created it (or an administrator)`, { cause: error });
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new Error(`${file} exists but is not a readable unencrypted PEM private key; move it away (it may be another program's key) and run enroll again to create a new one`);
  }
}

async function createKeyFile(file: string, keyType: KeyType): Promise<KeyObject> {
  const { privateKey } = keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // O_EXCL: never overwrite a key another enroll created meanwhile; 0600 from the first byte.
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (process.platform === 'win32') await promisify(execFile)('icacls', keyAclArguments(file, process.env.USERNAME ?? ''), { windowsHide: true });
  return privateKey;
}

/** icacls arguments that leave the key readable by Administrators, SYSTEM and `user` only. */
export function keyAclArguments(file: string, user: string): string[] {
  const grants = [`*${ADMINISTRATORS_SID}:F`, `*${SYSTEM_SID}:F`, ...(user ? [`${user}:F`] : [])];
  return [file, '/inheritance:r', '/grant:r', ...grants, '/Q'];
}

function webCryptoAlgorithm(key: KeyObject): webcrypto.RsaHashedImportParams | (webcrypto.EcKeyImportParams & webcrypto.EcdsaParams) {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (namedCurve) return { name: 'ECDSA', namedCurve, hash: 'SHA-256' };
  }
  throw new Error(`the existing key is a ${key.asymmetricKeyType ?? 'unknown'} key (${key.asymmetricKeyDetails?.namedCurve ?? ''}); IAM Roles Anywhere needs RSA or EC P-256/P-384: move it away and run enroll again`);
}
