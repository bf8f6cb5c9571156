// One IAM Roles Anywhere CreateSession call: the certificate-signed POST /sessions that returns
// temporary credentials for the role. Request and response as in the API reference
// (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication-create-session.html)
// and the reference client (aws/rolesanywhere-credential-helper rolesanywhere/serializers.go: the
// three ARNs go in the query string, durationSeconds in the JSON body, the certificate in
// X-Amz-X509). Sent through the agent's NodeHttpHandler, so network.proxy and ca_file apply.
// Failures are SinkErrors (the upload that needed the credentials fails with them); the messages
// name the endpoint host and the server's short reason, never the credentials.
import type { Readable } from 'node:stream';
import { HttpRequest } from '@smithy/protocol-http';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { Secret } from '../../../config/secret.ts';
import { SinkError } from '../../../errors.ts';
import type { RolesAnywhereConfig } from '../../../config/types.ts';
import { registerSecret } from '../../../log/redact.ts';
import { canonicalQuery, signRequest, type SigningIdentity } from './signing.ts';

/** What CreateSession needs of `[roles_anywhere]` (the identity files are read elsewhere). */
export type RolesAnywhereSettings = Pick<RolesAnywhereConfig, 'trustAnchorArn' | 'profileArn' | 'roleArn' | 'region' | 'endpoint' | 'sessionDurationSeconds'>;

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: Secret;
  sessionToken: Secret;
  expiration: Date;
}

const MAX_BODY_BYTES = 256 * 1024;

export async function createSession(
  settings: RolesAnywhereSettings,
  identity: SigningIdentity,
  handler: NodeHttpHandler,
  options: { now: Date; abortSignal?: AbortSignal },
): Promise<TemporaryCredentials> {
  const url = new URL(settings.endpoint);
  const query = { profileArn: settings.profileArn, roleArn: settings.roleArn, trustAnchorArn: settings.trustAnchorArn };
  const body = JSON.stringify({ durationSeconds: settings.sessionDurationSeconds });
  const path = `${url.pathname.replace(/\/$/, '')}/sessions`;
  const headers = signRequest({ method: 'POST', path, query, headers: { host: url.host, 'content-type': 'application/json' }, body }, identity, settings.region, options.now);
  const request = new HttpRequest({
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    method: 'POST',
    // The query is already encoded exactly as it was signed.
    path: `${path}?${canonicalQuery(query)}`,
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  let status: number;
  let text: string;
  let errorType: string | undefined;
  try {
    const { response } = await handler.handle(request, options.abortSignal ? { abortSignal: options.abortSignal } : {});
    status = response.statusCode;
    errorType = headerValue(response.headers, 'x-amzn-errortype');
    text = await readBody(response.body as Readable);
  } catch (cause) {
    throw new SinkError('RolesAnywhereUnreachable', `Could not reach IAM Roles Anywhere at ${url.host} for temporary S3 credentials (${describeNetworkError(cause)}); the files stay and are sent on the next retry.`, { retryable: true, cause });
  }
  if (status < 200 || status > 299) throw describeRefusal(status, errorType, text, url.host);
  return parseCredentials(text, url.host);
}

function parseCredentials(text: string, host: string): TemporaryCredentials {
  let found: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as { credentialSet?: { credentials?: Record<string, unknown> }[] };
    found = parsed.credentialSet?.[0]?.credentials;
  } catch {
    found = undefined;
  }
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = found ?? {};
  const expires = typeof expiration === 'string' ? new Date(expiration) : new Date(NaN);
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || typeof sessionToken !== 'string' || Number.isNaN(expires.getTime())) {
    throw new SinkError('RolesAnywhereBadAnswer', `IAM Roles Anywhere at ${host} answered CreateSession without usable credentials (expected credentialSet[0].credentials with accessKeyId, secretAccessKey, sessionToken, expiration); check roles_anywhere.endpoint (a proxy error page?).`, { retryable: true });
  }
  registerSecret(secretAccessKey);
  registerSecret(sessionToken);
  return { accessKeyId, secretAccessKey: new Secret(secretAccessKey), sessionToken: new Secret(sessionToken), expiration: expires };
}

/** 403 and 4xx need a person (certificate, trust anchor, profile or role); 429 and 5xx pass. */
function describeRefusal(status: number, errorType: string | undefined, text: string, host: string): SinkError {
  const code = (errorType ?? '').split(':')[0] || `HTTP${status}`;
  const reason = serverMessage(text);
  const said = `IAM Roles Anywhere at ${host} refused CreateSession: ${code} (HTTP ${status})${reason ? `: ${reason}` : ''}.`;
  if (status === 429 || status >= 500) {
    return new SinkError('RolesAnywhereUnavailable', `${said} The files stay and are sent on the next retry.`, { retryable: true });
  }
  return new SinkError('RolesAnywhereDenied', said, {
    retryable: false,
    hint: 'Check that the certificate in roles_anywhere.certificate_file was issued by the CA of the trust anchor roles_anywhere.trust_anchor_arn and has not expired, that the trust anchor and profile are enabled and the profile lists roles_anywhere.role_arn, and that the role trusts rolesanywhere.amazonaws.com for that trust anchor (sql/aws/roles-anywhere-trust-policy.json). Run doctor after fixing.',
  });
}

function serverMessage(text: string): string {
  let message: unknown;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; Message?: unknown };
    message = parsed.message ?? parsed.Message;
  } catch {
    return '';
  }
  // Shown to people: one short line, no control characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return typeof message === 'string' ? message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200) : '';
}

function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

async function readBody(stream: Readable | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      stream.destroy();
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'network error';
}
