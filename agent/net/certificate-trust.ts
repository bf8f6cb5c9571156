// "The server's certificate is not trusted here": the error codes Node gives a TLS client whose
// handshake failed certificate verification, so no request byte was sent. Every client hint that
// points at network.ca_file (the S3 sink, the Open-Meteo source, doctor's probe) asks this one
// list. The OpenSSL codes are Node's documented "X509 certificate error codes"
// (https://nodejs.org/docs/latest-v24.x/api/tls.html#x509-certificate-error-codes, minus
// OUT_OF_MEM); ERR_TLS_CERT_ALTNAME_INVALID is Node's own check of the host name
// (https://nodejs.org/docs/latest-v24.x/api/errors.html#err_tls_cert_altname_invalid).
const CERTIFICATE_TRUST_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateTrustError(code: string | undefined): boolean {
  return code !== undefined && CERTIFICATE_TRUST_CODES.has(code);
}
