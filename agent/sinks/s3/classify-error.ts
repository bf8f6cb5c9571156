// The one place that decides the whole verdict on a failed upload attempt:
//   retryable          - may succeed later (the sink tries again, then the retry schedule), or
//                        needs a person (not retryable: a `hint` says exactly what to fix);
//   mayHaveBeenStored  - whether S3 can have stored the object despite the failure. Only a
//                        connection that never opened, or an answer from S3 (or the proxy) that
//                        refuses the request, proves it was not; anything else (reset, timeout,
//                        500) may have stored it. jobs/deliver.ts relies on this to avoid
//                        putting the same records under a second key.
// Unknown errors count as retryable and as maybe stored: the file stays either way, and retrying
// is harmless because the same bytes go to the same key (with If-None-Match: *, see sink.ts).
//
// Messages name the code, HTTP status, bucket and key only. They never echo S3's own message or
// its debug fields (StringToSign, SignatureProvided, CanonicalRequest), which are also removed
// from the error kept as `cause`.
import { SinkError } from '../../errors.ts';
import { isCertificateTrustError } from '../../net/certificate-trust.ts';
import { PROXY_AUTH_HINT } from '../../net/proxy.ts';
import { s3EndpointUrl } from './endpoint.ts';

/** What the hint may name; all optional so the classifier also works on a bare error. */
export interface S3ErrorContext {
  bucket?: string;
  key?: string;
  /** `s3.prefix`, for the IAM resource in AccessDenied hints. */
  prefix?: string;
  region?: string;
  /** `s3.endpoint` when set (an S3-compatible service). */
  endpoint?: string;
  /** `s3.credentials_file` when the keys came from it; else the AWS default chain was used. */
  credentialsFile?: string;
  /** The proxy the S3 requests go through, as describeProxy() prints it (no credentials). */
  proxy?: string;
  /** Names the credential source when it is neither of those (IAM Roles Anywhere). */
  credentialsSource?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EHOSTDOWN', 'ECONNABORTED', 'EADDRNOTAVAIL', 'ERR_SOCKET_CLOSED', 'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Network errors where the connection never opened, so nothing can have been stored. */
const NOT_CONNECTED_ERRNOS = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT',
]);
/** S3 codes that say "try again later" even though their status is 4xx. */
const RETRYABLE_S3_CODES = new Set([
  'SlowDown', 'RequestTimeTooSkewed', 'RequestTimeout', 'InternalError', 'ServiceUnavailable',
  'BadDigest', 'XAmzContentSHA256Mismatch', 'IncompleteBody', 'OperationAborted', 'TooManyRequests',
  // 409 to an If-None-Match PUT: another write of the same key (maybe our own earlier attempt) is
  // in flight; AWS says to retry (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
  'ConditionalRequestConflict',
]);
/** Retryable answers with which S3 refused the request before storing anything. */
const REFUSED_RETRYABLE_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'RequestTimeTooSkewed', 'TooManyRequests']);
const S3_DEBUG_FIELDS = ['StringToSign', 'StringToSignBytes', 'SignatureProvided', 'CanonicalRequest', 'CanonicalRequestBytes'];

interface ErrorFacts {
  name: string;
  /** Node/undici error code (ECONNREFUSED ...), when there is one. */
  errno?: string;
  status?: number;
  /** Region S3 named in a wrong-region answer. */
  expectedRegion?: string;
  message: string;
}

export function classifyS3Error(error: unknown, context: S3ErrorContext = {}): SinkError {
  if (error instanceof SinkError) return error;
  const cause = stripDebugFields(error);
  const facts = readFacts(error);
  const target = describeTarget(context);
  const status = facts.status === undefined ? '' : ` (HTTP ${facts.status})`;

  if (isCredentialsError(facts)) {
    return new SinkError('CredentialsError', `Could not upload ${target}: no usable AWS credentials were found.`, {
      retryable: false,
      mayHaveBeenStored: false,
      cause,
      hint: credentialsMissingHint(context),
    });
  }
  if (facts.status === 407) return proxyAuthError(target, cause, context);
  const permanent = PERMANENT_ERRORS.get(facts.name);
  if (permanent) {
    return new SinkError(facts.name, `S3 refused the upload of ${target}: ${facts.name}${status}. ${permanent.what}`, {
      retryable: false,
      mayHaveBeenStored: false,
      cause,
      hint: permanent.hint(context, facts),
    });
  }
  if (facts.status === undefined) {
    const local = classifyConnectionError(facts, target, cause, context);
    if (local) return local;
  }
  return classifyRetryableAnswer(facts, target, status, cause, context);
}

/** describeProxy() says 'direct' when no proxy is used: then there is no proxy hop to blame. */
function throughProxy(context: S3ErrorContext): boolean {
  return context.proxy !== undefined && context.proxy !== 'direct';
}

/** Failures before S3 answered: cancelled, untrusted TLS, timeout, network. */
function classifyConnectionError(facts: ErrorFacts, target: string, cause: unknown, context: S3ErrorContext): SinkError | undefined {
  const host = endpointHost(context);
  if (facts.name === 'AbortError') {
    return new SinkError('Aborted', `The upload of ${target} was cancelled before S3 confirmed it.`, { retryable: true, cause });
  }
  if (isCertificateTrustError(facts.errno)) {
    // The handshake failed, so no request byte was sent.
    return new SinkError('TlsError', `Could not upload ${target}: the TLS certificate of ${host} is not trusted (${facts.errno}).`, {
      retryable: false,
      mayHaveBeenStored: false,
      cause,
      hint: 'If a corporate proxy or firewall inspects HTTPS, set network.ca_file in config.ini to a PEM file with its root CA certificate; otherwise check s3.endpoint and the system clock.',
    });
  }
  // The SDK renames ECONNRESET/EPIPE to TimeoutError; the errno says what really happened.
  const neverConnected = facts.errno !== undefined && NOT_CONNECTED_ERRNOS.has(facts.errno);
  if (isNetworkError(facts)) {
    if (throughProxy(context)) {
      // Through a proxy the TCP connection is to the proxy: a connection error is that hop's.
      return new SinkError('NetworkError', `Could not upload ${target}: network error ${facts.errno ?? 'socket hang up'} talking to the proxy ${context.proxy} (on the way to ${host}).`, {
        retryable: true,
        mayHaveBeenStored: !neverConnected,
        cause,
        hint: `The proxy did not accept or dropped the connection: check network.proxy / HTTPS_PROXY (host and port), that the proxy is running, and that this server may use it. doctor's s3.proxy line tests it.`,
      });
    }
    return new SinkError('NetworkError', `Could not upload ${target}: network error ${facts.errno ?? 'socket hang up'} talking to ${host}.`, {
      retryable: true,
      mayHaveBeenStored: !neverConnected,
      cause,
      hint: reachHint(context),
    });
  }
  if (isTimeout(facts)) {
    return new SinkError('Timeout', `The upload of ${target} timed out: ${host} did not answer in time.`, {
      retryable: true,
      mayHaveBeenStored: !neverConnected,
      cause,
      hint: reachHint(context),
    });
  }
  return undefined;
}

function classifyRetryableAnswer(facts: ErrorFacts, target: string, status: string, cause: unknown, context: S3ErrorContext): SinkError {
  const code = facts.status === undefined && !RETRYABLE_S3_CODES.has(facts.name) ? 'UnknownError' : safeCode(facts.name, facts.status);
  const known = RETRYABLE_S3_CODES.has(facts.name) || (facts.status !== undefined && (facts.status >= 500 || facts.status === 429));
  // A proxy's own error page (502/503/504 when it cannot reach S3) carries no S3 error code.
  const viaProxy = throughProxy(context) && !RETRYABLE_S3_CODES.has(facts.name) && code.startsWith('HTTP');
  const what = viaProxy
    ? `The proxy ${context.proxy} probably answered this itself (no S3 error code): it could not reach ${endpointHost(context)}; it will try again.`
    : known ? 'S3 asked to try again later.' : 'The error is not one the agent knows; it will try again.';
  const hint = RETRYABLE_HINTS.get(facts.name)?.(context);
  const refused = facts.status !== undefined && REFUSED_RETRYABLE_CODES.has(facts.name);
  return new SinkError(code, `The upload of ${target} failed: ${code}${status}. ${what}`, {
    retryable: true,
    mayHaveBeenStored: !refused,
    cause,
    ...(hint ? { hint } : {}),
  });
}

/**
 * S3 never sends 407 (RFC 9110 section 15.5.8: the client must authenticate with a proxy), so the
 * proxy is the hop that failed, and it forwarded nothing. Same hint as the Open-Meteo side.
 */
function proxyAuthError(target: string, cause: unknown, context: S3ErrorContext): SinkError {
  const proxy = throughProxy(context) ? `The proxy ${context.proxy}` : 'A proxy between this server and S3 (none is configured: a transparent proxy?)';
  return new SinkError('ProxyAuthenticationRequired', `${proxy} refused the upload of ${target}: it wants credentials (HTTP 407); S3 was not reached.`, {
    retryable: false,
    mayHaveBeenStored: false,
    cause,
    hint: `${PROXY_AUTH_HINT} Percent-encode special characters; the service may also get the proxy from its HTTPS_PROXY variable.`,
  });
}

// --- the table of errors a person must fix ---------------------------------------------------------

interface PermanentError {
  what: string;
  hint(context: S3ErrorContext, facts: ErrorFacts): string;
}

const wrongRegion: PermanentError = {
  what: 'The bucket is in a different region than the one configured.',
  hint: (c, f) =>
    `Set s3.region in config.ini to the bucket's region${f.expectedRegion ? ` (S3 says ${f.expectedRegion})` : ''}; it is now ${c.region ?? 'not set'}.`,
};
const expiredToken: PermanentError = {
  what: 'The temporary session credentials have expired or are not valid.',
  hint: (c) =>
    `Replace aws_session_token and the matching key id and secret in ${credentialsSource(c)} with fresh ones, or use long-term access keys without a session token.`,
};

const PERMANENT_ERRORS = new Map<string, PermanentError>(Object.entries({
  AccessDenied: {
    what: 'The credentials are valid but may not write there.',
    hint: (c) =>
      `Allow the IAM action s3:PutObject on arn:aws:s3:::${c.bucket ?? '<bucket>'}/${c.prefix ?? ''}* for the IAM user or role of ${credentialsSource(c)}; also check the bucket policy, and the KMS key policy if the bucket uses SSE-KMS.`,
  },
  InvalidAccessKeyId: {
    what: 'S3 does not know the access key id.',
    hint: (c) =>
      `Check aws_access_key_id in ${credentialsSource(c)}: copy it again from the IAM console and make sure the key is active${c.endpoint ? `, and that s3.endpoint (${endpointHost(c)}) is the service the key belongs to` : ''}.`,
  },
  SignatureDoesNotMatch: {
    what: 'The secret access key does not match the access key id.',
    hint: (c) =>
      `Check aws_secret_access_key in ${credentialsSource(c)}: paste the current secret for this key id again (no quotes, no spaces); if the key was rotated, both values must come from the new key.`,
  },
  NoSuchBucket: {
    what: 'The bucket does not exist.',
    hint: (c) =>
      `Check s3.bucket in config.ini ("${c.bucket ?? ''}"): the exact bucket name, without s3:// or a path${c.endpoint ? `, on ${endpointHost(c)}` : `, in region ${c.region ?? '?'}`}.`,
  },
  InvalidBucketName: {
    what: 'The bucket name is not valid.',
    hint: (c) => `Fix s3.bucket in config.ini ("${c.bucket ?? ''}"): 3-63 lowercase letters, digits, dots and hyphens.`,
  },
  ExpiredToken: expiredToken,
  InvalidToken: expiredToken,
  TokenRefreshRequired: expiredToken,
  PermanentRedirect: wrongRegion,
  AuthorizationHeaderMalformed: wrongRegion,
  IllegalLocationConstraintException: wrongRegion,
  AllAccessDisabled: {
    what: 'All access to this bucket has been disabled.',
    hint: () => 'Ask the AWS account owner of the bucket why access was disabled.',
  },
  AccountProblem: {
    what: 'S3 reports a problem with the AWS account.',
    hint: () => 'Ask the AWS account owner to check the account status and billing.',
  },
}));

const RETRYABLE_HINTS = new Map<string, (context: S3ErrorContext) => string>(Object.entries({
  RequestTimeTooSkewed: () =>
    "This server's clock is more than 15 minutes off; S3 rejects every request until it is fixed. Correct the system time (enable NTP or the Windows Time service).",
  NotImplemented: (c) =>
    `The S3-compatible service${c.endpoint ? ` at ${endpointHost(c)}` : ''} does not support something the upload uses (CRC32 checksums, or conditional writes with If-None-Match); if this persists, check the service's S3 compatibility.`,
}));

// --- helpers --------------------------------------------------------------------------------------

function readFacts(error: unknown): ErrorFacts {
  const record = (error !== null && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const metadata = record['$metadata'] as { httpStatusCode?: unknown } | undefined;
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const errno = typeof record['code'] === 'string' ? record['code'] : undefined;
  // AuthorizationHeaderMalformed names the right region; PermanentRedirect names the right endpoint.
  const endpointRegion = typeof record['Endpoint'] === 'string' ? /\.s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(record['Endpoint'])?.[1] : undefined;
  const region = record['Region'] ?? endpointRegion;
  return {
    name: typeof record['name'] === 'string' ? record['name'] : 'Error',
    ...(errno ? { errno } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(typeof region === 'string' && /^[a-z0-9-]{1,40}$/.test(region) ? { expectedRegion: region } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}

function isCredentialsError(facts: ErrorFacts): boolean {
  return (
    facts.name === 'CredentialsProviderError' ||
    (facts.status === undefined && /could not load credentials|resolved credential object is not valid/i.test(facts.message))
  );
}

function isTimeout(facts: ErrorFacts): boolean {
  return facts.name === 'TimeoutError' || (facts.errno !== undefined && TIMEOUT_CODES.has(facts.errno));
}

function isNetworkError(facts: ErrorFacts): boolean {
  return (facts.errno !== undefined && NETWORK_CODES.has(facts.errno)) || /socket hang up/i.test(facts.message);
}

/** S3 codes are identifiers; anything else (an HTML page's title, a number) becomes HTTP<status>. */
function safeCode(name: string, status: number | undefined): string {
  if (/^[A-Za-z][A-Za-z0-9.]{1,63}$/.test(name) && name !== 'Error' && name !== 'Unknown') return name;
  return status === undefined ? 'UnknownError' : `HTTP${status}`;
}

function describeTarget(context: S3ErrorContext): string {
  if (context.bucket === undefined) return 'the file';
  return `s3://${context.bucket}/${context.key ?? ''}`;
}

/**
 * The host (and port) the upload connects to, as s3EndpointUrl picks it (the bucket's own
 * virtual host on AWS), so a hint names the host a firewall or NO_PROXY rule must allow.
 * Host only: endpoints are logged without paths, queries or user info.
 */
export function endpointHost(context: S3ErrorContext): string {
  const url = context.endpoint ?? s3EndpointUrl({ bucket: context.bucket ?? '', region: context.region ?? 'us-east-1' });
  try {
    return new URL(url).host;
  } catch {
    return 's3.endpoint';
  }
}

function credentialsSource(context: S3ErrorContext): string {
  if (context.credentialsSource) return context.credentialsSource;
  return context.credentialsFile
    ? `the credentials file ${context.credentialsFile} (s3.credentials_file)`
    : 'the AWS default credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the default profile, or the instance role)';
}

function credentialsMissingHint(context: S3ErrorContext): string {
  if (context.credentialsFile) return `Check ${credentialsSource(context)}: it needs aws_access_key_id and aws_secret_access_key.`;
  return 'Set s3.credentials_file in config.ini to an INI file with aws_access_key_id and aws_secret_access_key, or give the service AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.';
}

function reachHint(context: S3ErrorContext): string {
  return `If this persists, check that this server can reach ${endpointHost(context)} (firewall, DNS, network.proxy or HTTPS_PROXY in config.ini / the environment).`;
}

/** The SDK error minus S3's signature debug fields, so a logged `cause` cannot show them. */
function stripDebugFields(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return error;
  const record = error as Record<string, unknown>;
  for (const field of S3_DEBUG_FIELDS) {
    if (field in record) delete record[field];
  }
  return error;
}
