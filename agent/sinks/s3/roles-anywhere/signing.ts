// The IAM Roles Anywhere request signature: SigV4's canonical request and string to sign, signed
// with the site's X.509 private key instead of an HMAC key. As documented in "The IAM Roles
// Anywhere authentication signing process"
// (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication-sign-process.html)
// and done by the reference client, aws/rolesanywhere-credential-helper
// (aws_signing_helper/signer.go: signRequest, createCanonicalRequest, BuildAuthorizationHeader):
//   - algorithm AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256 (by the certificate's key type);
//   - X-Amz-X509 = base64 DER of the end-entity certificate, X-Amz-X509-Chain = the intermediates,
//     comma-separated; both are signed headers;
//   - credential scope <yyyymmdd>/<region>/rolesanywhere/aws4_request;
//   - Credential=<certificate serial number, decimal>/<scope>; the signature is hex of the
//     RSA PKCS#1 v1.5 / ECDSA (DER) signature over the string to sign with SHA-256.
import { createHash, sign, type KeyObject, type X509Certificate } from 'node:crypto';

export const SIGNING_SERVICE = 'rolesanywhere';
export type SigningAlgorithm = 'AWS4-X509-RSA-SHA256' | 'AWS4-X509-ECDSA-SHA256';

export interface SignableRequest {
  method: string;
  path: string;
  /** Unencoded query parameters. */
  query: Record<string, string>;
  /** Lower-case names; every header here is signed. */
  headers: Record<string, string>;
  body: string;
}

export interface SigningIdentity {
  certificate: X509Certificate;
  /** Intermediate CA certificates, leaf's issuer first; may be empty. */
  chain: X509Certificate[];
  privateKey: KeyObject;
}

export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'AWS4-X509-RSA-SHA256';
  if (key.asymmetricKeyType === 'ec') return 'AWS4-X509-ECDSA-SHA256';
  throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign for IAM Roles Anywhere; use an RSA or EC (P-256/P-384) key`);
}

/** SigV4 URI encoding: RFC 3986 unreserved characters stay, everything else is %XX. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${uriEncode(key)}=${uriEncode(query[key] ?? '')}`)
    .join('&');
}

export function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function canonicalRequest(request: SignableRequest): { text: string; signedHeaders: string } {
  const names = Object.keys(request.headers).map((name) => name.toLowerCase()).sort();
  const lines = names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/ +/g, ' ')}`);
  const signedHeaders = names.join(';');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const text = [request.method, request.path, canonicalQuery(request.query), `${lines.join('\n')}\n`, signedHeaders, payloadHash].join('\n');
  return { text, signedHeaders };
}

export function stringToSign(algorithm: SigningAlgorithm, date: string, scope: string, canonical: string): string {
  return [algorithm, date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
}

/** The certificate serial in decimal, as the Credential field carries it. */
export function serialDecimal(certificate: X509Certificate): string {
  return BigInt(`0x${certificate.serialNumber}`).toString(10);
}

/**
 * Adds X-Amz-Date, X-Amz-X509 (and -Chain) and Authorization to `request.headers` (which must
 * already hold host and content-type) and returns them.
 */
export function signRequest(request: SignableRequest, identity: SigningIdentity, region: string, at: Date): Record<string, string> {
  const algorithm = signingAlgorithmFor(identity.privateKey);
  const date = amzDate(at);
  const scope = `${date.slice(0, 8)}/${region}/${SIGNING_SERVICE}/aws4_request`;
  request.headers['x-amz-date'] = date;
  request.headers['x-amz-x509'] = identity.certificate.raw.toString('base64');
  if (identity.chain.length > 0) request.headers['x-amz-x509-chain'] = identity.chain.map((c) => c.raw.toString('base64')).join(',');
  const { text, signedHeaders } = canonicalRequest(request);
  const toSign = stringToSign(algorithm, date, scope, text);
  const signature = sign('sha256', Buffer.from(toSign), algorithm === 'AWS4-X509-ECDSA-SHA256' ? { key: identity.privateKey, dsaEncoding: 'der' } : identity.privateKey);
  request.headers['authorization'] = `${algorithm} Credential=${serialDecimal(identity.certificate)}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature.toString('hex')}`;
  return request.headers;
}
