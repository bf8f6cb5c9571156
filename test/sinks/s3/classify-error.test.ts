// classifyS3Error over synthetic errors shaped like the SDK's and Node's, for the cases the real
// server cannot produce (DNS failures, TLS trust, expired tokens, missing credentials, ...).
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../agent/errors.ts';
import { classifyS3Error, type S3ErrorContext } from '../../../agent/sinks/s3/classify-error.ts';

const CONTEXT: S3ErrorContext = {
  bucket: 'acme-landing',
  key: 'weather/acme/file.ndjson',
  prefix: 'weather/',
  region: 'eu-west-1',
  credentialsFile: 'C:\\ProgramData\\datapipe-agent\\aws.ini',
};

/** An error like the SDK's S3ServiceException for an XML error answer. */
function s3Error(code: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`S3 said ${code}`), { name: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

/** An error like Node's for a failed socket. */
function nodeError(code: string, message = `connect ${code} 52.1.2.3:443`, name = 'Error'): Error {
  return Object.assign(new Error(message), { code, name });
}

describe('classifyS3Error: retryable', () => {
  it.each([
    { error: nodeError('ECONNREFUSED'), code: 'NetworkError' },
    { error: nodeError('ECONNRESET', 'read ECONNRESET', 'TimeoutError'), code: 'NetworkError' },
    { error: nodeError('EPIPE', 'write EPIPE'), code: 'NetworkError' },
    { error: nodeError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN s3.eu-west-1.amazonaws.com'), code: 'NetworkError' },
    { error: nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND s3.eu-west-1.amazonaws.com'), code: 'NetworkError' },
    { error: new Error('socket hang up'), code: 'NetworkError' },
    { error: nodeError('ETIMEDOUT', 'connect ETIMEDOUT 52.1.2.3:443'), code: 'Timeout' },
    { error: Object.assign(new Error('request exceeded 60000 ms'), { name: 'TimeoutError' }), code: 'Timeout' },
    { error: Object.assign(new Error('Request aborted'), { name: 'AbortError' }), code: 'Aborted' },
    { error: s3Error('InternalError', 500), code: 'InternalError' },
    { error: s3Error('ServiceUnavailable', 503), code: 'ServiceUnavailable' },
    { error: s3Error('SlowDown', 503), code: 'SlowDown' },
    { error: s3Error('Unknown', 502), code: 'HTTP502' },
    { error: s3Error('TooManyRequests', 429), code: 'TooManyRequests' },
    { error: s3Error('RequestTimeTooSkewed', 403), code: 'RequestTimeTooSkewed' },
    { error: s3Error('RequestTimeout', 400), code: 'RequestTimeout' },
    { error: s3Error('BadDigest', 400), code: 'BadDigest' },
    { error: s3Error('SomethingNew', 400), code: 'SomethingNew' },
    { error: new TypeError('x is not a function'), code: 'UnknownError' },
    { error: 'a thrown string', code: 'UnknownError' },
    { error: undefined, code: 'UnknownError' },
  ])('$code from $error', ({ error, code }) => {
    const result = classifyS3Error(error, CONTEXT);
    expect(result).toBeInstanceOf(SinkError);
    expect(result).toMatchObject({ code, retryable: true });
    expect(result.message).toContain('s3://acme-landing/weather/acme/file.ndjson');
    expect(result.cause).toBe(error);
  });

  it('RequestTimeTooSkewed says to fix the clock', () => {
    expect(classifyS3Error(s3Error('RequestTimeTooSkewed', 403), CONTEXT).hint).toMatch(/clock.*NTP/);
  });

  it('network errors name the host to reach (host only) and the proxy setting', () => {
    const result = classifyS3Error(nodeError('ECONNREFUSED'), { ...CONTEXT, endpoint: 'https://user:pw@minio.corp.local:9000/base?x=1' });
    expect(result.message).toContain('minio.corp.local:9000');
    expect(`${result.message} ${result.hint}`).not.toMatch(/user:pw|\?x=1/);
    expect(result.hint).toContain('network.proxy');
  });
});

describe('classifyS3Error: a person must act (not retryable, with a hint)', () => {
  it.each([
    { error: s3Error('AccessDenied', 403), code: 'AccessDenied', hint: ['s3:PutObject', 'arn:aws:s3:::acme-landing/weather/*', CONTEXT.credentialsFile] },
    { error: s3Error('InvalidAccessKeyId', 403), code: 'InvalidAccessKeyId', hint: ['aws_access_key_id', CONTEXT.credentialsFile] },
    { error: s3Error('SignatureDoesNotMatch', 403), code: 'SignatureDoesNotMatch', hint: ['aws_secret_access_key', CONTEXT.credentialsFile] },
    { error: s3Error('NoSuchBucket', 404), code: 'NoSuchBucket', hint: ['s3.bucket', 'acme-landing', 'eu-west-1'] },
    { error: s3Error('ExpiredToken', 400), code: 'ExpiredToken', hint: ['aws_session_token'] },
    { error: s3Error('InvalidToken', 400), code: 'InvalidToken', hint: ['aws_session_token'] },
    { error: s3Error('PermanentRedirect', 301, { Endpoint: 'acme-landing.s3.us-west-2.amazonaws.com' }), code: 'PermanentRedirect', hint: ['s3.region', 'us-west-2'] },
    { error: s3Error('AuthorizationHeaderMalformed', 400, { Region: 'ap-southeast-2' }), code: 'AuthorizationHeaderMalformed', hint: ['s3.region', 'ap-southeast-2'] },
    { error: s3Error('InvalidBucketName', 400), code: 'InvalidBucketName', hint: ['s3.bucket'] },
    { error: Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), code: 'CredentialsError', hint: [CONTEXT.credentialsFile] },
    { error: nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), code: 'TlsError', hint: ['network.ca_file'] },
    // Any of Node's documented certificate codes, not just the common ones (net/certificate-trust.ts).
    { error: nodeError('CERT_NOT_YET_VALID', 'certificate is not yet valid'), code: 'TlsError', hint: ['system clock'] },
    { error: nodeError('CERT_REVOKED', 'certificate revoked'), code: 'TlsError', hint: ['network.ca_file'] },
  ])('$code', ({ error, code, hint }) => {
    const result = classifyS3Error(error, CONTEXT);
    expect(result).toMatchObject({ code, retryable: false });
    for (const part of hint) expect(result.hint).toContain(part);
  });

  it('without a credentials file the hints point at s3.credentials_file and the default chain', () => {
    const noFile: S3ErrorContext = { ...CONTEXT };
    delete noFile.credentialsFile;
    const missing = classifyS3Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), noFile);
    expect(missing.hint).toContain('s3.credentials_file');
    expect(classifyS3Error(s3Error('InvalidAccessKeyId', 403), noFile).hint).toContain('AWS_ACCESS_KEY_ID');
  });
});

describe('classifyS3Error: nothing secret leaks', () => {
  it("keeps S3's signature debug fields out of the message, hint and cause", () => {
    const debug = {
      StringToSign: 'AWS4-HMAC-SHA256\n20261121T101500Z\n20261121/eu-west-1/s3/aws4_request\nabc',
      SignatureProvided: 'f'.repeat(64),
      CanonicalRequest: 'PUT\n/weather/acme/file.ndjson\nx-id=PutObject',
    };
    const error = s3Error('SignatureDoesNotMatch', 403, debug);
    const result = classifyS3Error(error, CONTEXT);
    const text = `${result.message}\n${result.hint}`;
    expect(text).not.toContain('AWS4-HMAC-SHA256');
    expect(text).not.toContain('f'.repeat(64));
    expect(text).not.toContain("S3 said");
    expect(result.cause).not.toHaveProperty('StringToSign');
    expect(result.cause).not.toHaveProperty('SignatureProvided');
    expect(result.cause).not.toHaveProperty('CanonicalRequest');
  });

  it('does not put an unknown error text (which might hold a presigned URL) in the message', () => {
    const error = s3Error('WeirdThing', 400);
    error.message = 'see https://acme-landing.s3.amazonaws.com/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA';
    const result = classifyS3Error(error, CONTEXT);
    expect(result.message).not.toContain('X-Amz-Signature');
    expect(result.retryable).toBe(true);
  });

  it('odd error names cannot index into the tables', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(classifyS3Error(s3Error(name, 400), CONTEXT)).toMatchObject({ retryable: true });
    }
  });

  it('passes a SinkError through unchanged', () => {
    const original = new SinkError('AccessDenied', 'x', { retryable: false, hint: 'y' });
    expect(classifyS3Error(original)).toBe(original);
  });
});

describe('classifyS3Error: the proxy hop', () => {
  it("blames no proxy when the runtime says the connection is 'direct'", () => {
    const error = classifyS3Error(nodeError('ECONNREFUSED'), { ...CONTEXT, proxy: 'direct' });
    expect(error.message).not.toContain('proxy');
    expect(error.mayHaveBeenStored).toBe(false);
  });

  it('a connection the proxy refused never carried the upload', () => {
    const error = classifyS3Error(nodeError('ECONNREFUSED'), { ...CONTEXT, proxy: 'http://proxy.corp:8080' });
    expect(error.message).toContain('talking to the proxy http://proxy.corp:8080');
    expect(error.mayHaveBeenStored).toBe(false);
  });
});

describe('classifyS3Error: may the object have been stored?', () => {
  it.each([
    { what: 'connection refused', error: nodeError('ECONNREFUSED'), stored: false },
    { what: 'DNS failure', error: nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND s3.eu-west-1.amazonaws.com'), stored: false },
    { what: 'untrusted TLS certificate', error: nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), stored: false },
    { what: 'S3 refusal (AccessDenied)', error: s3Error('AccessDenied', 403), stored: false },
    { what: '503 SlowDown', error: s3Error('SlowDown', 503), stored: false },
    { what: '429 TooManyRequests', error: s3Error('TooManyRequests', 429), stored: false },
    { what: 'no credentials', error: Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), stored: false },
    { what: 'proxy 407', error: s3Error('Unknown', 407), stored: false },
    { what: 'connection reset', error: nodeError('ECONNRESET', 'read ECONNRESET', 'TimeoutError'), stored: true },
    { what: 'timeout', error: Object.assign(new Error('request exceeded 60000 ms'), { name: 'TimeoutError' }), stored: true },
    { what: '500 InternalError', error: s3Error('InternalError', 500), stored: true },
    { what: '409 ConditionalRequestConflict', error: s3Error('ConditionalRequestConflict', 409), stored: true },
    { what: 'an unknown error', error: new TypeError('x is not a function'), stored: true },
  ])('$what -> mayHaveBeenStored $stored', ({ error, stored }) => {
    expect(classifyS3Error(error, CONTEXT).mayHaveBeenStored).toBe(stored);
    // The runtime always names the S3 hop: 'direct' without a proxy, and that changes nothing.
    expect(classifyS3Error(error, { ...CONTEXT, proxy: 'direct' }).mayHaveBeenStored).toBe(stored);
  });

  it('409 ConditionalRequestConflict is retryable ("S3 asked to try again later")', () => {
    const result = classifyS3Error(s3Error('ConditionalRequestConflict', 409), CONTEXT);
    expect(result).toMatchObject({ code: 'ConditionalRequestConflict', retryable: true });
    expect(result.message).toContain('S3 asked to try again later');
  });

  it('a 407 blames the proxy, not S3, and says how to fix it', () => {
    const viaProxy = classifyS3Error(s3Error('Unknown', 407), { ...CONTEXT, proxy: 'http://**REDACTED**@proxy.corp:8080' });
    expect(viaProxy).toMatchObject({ code: 'ProxyAuthenticationRequired', retryable: false });
    expect(viaProxy.message).toMatch(/^The proxy http:\/\/\*\*REDACTED\*\*@proxy\.corp:8080 refused the upload of s3:\/\/acme-landing\//);
    expect(viaProxy.message).not.toContain('amazonaws.com');
    expect(viaProxy.hint).toContain('network.proxy');
    const transparent = classifyS3Error(s3Error('Unknown', 407), CONTEXT);
    expect(transparent.message).toContain('none is configured');
  });
});

describe('classifyS3Error: the host a hint names is the one the upload connects to', () => {
  it.each([
    { what: 'AWS, a virtual-hostable bucket', context: CONTEXT, host: 'acme-landing.s3.eu-west-1.amazonaws.com' },
    { what: 'AWS, a dotted bucket (path style)', context: { ...CONTEXT, bucket: 'acme.landing' }, host: 's3.eu-west-1.amazonaws.com' },
    { what: 'AWS China', context: { ...CONTEXT, region: 'cn-north-1' }, host: 'acme-landing.s3.cn-north-1.amazonaws.com.cn' },
    { what: 'an S3-compatible endpoint', context: { ...CONTEXT, endpoint: 'https://minio.corp:9000/' }, host: 'minio.corp:9000' },
  ])('$what: $host', ({ context, host }) => {
    const error = classifyS3Error(nodeError('ECONNREFUSED'), context);
    expect(error.hint).toContain(`can reach ${host} (`);
  });
});
