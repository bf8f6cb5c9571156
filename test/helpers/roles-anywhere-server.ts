// An IAM Roles Anywhere stand-in on 127.0.0.1 for tests: POST /sessions checked as the service
// documents it (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication.html and
// authentication-sign-process.html), so a wrong key, an untrusted or expired certificate or a
// tampered request is refused for real:
//   - the signature is verified with the public key of the certificate sent in X-Amz-X509, over a
//     canonical request rebuilt here with @smithy/signature-v4's getCanonicalHeaders /
//     getCanonicalQuery (not the agent's code), for the algorithm the key type requires;
//   - Credential=<serial> must be that certificate's serial, the scope this region and service;
//   - the certificate must be valid now and chain (through X-Amz-X509-Chain) to a trust anchor CA;
//   - the ARNs in the query must be this stand-in's trust anchor, profile and role.
// It answers like CreateSession (credentialSet[0].credentials with an ISO expiration) with fresh
// temporary credentials, which `lookup` hands to the S3 test server (its `temporaryCredentials`
// option), carrying the principal tag x509Subject/CN so that server can scope writes by it.
import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getCanonicalHeaders, getCanonicalQuery } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  issuedAt: Date;
  /** aws:PrincipalTag/x509Subject/CN of the session (the certificate subject's CN). */
  subjectCommonName: string;
}

export interface RolesAnywhereServerOptions {
  /** CA certificates of the trust anchor. */
  trustAnchors: X509Certificate[];
  region?: string;
  /** Lifetime of issued credentials, whatever durationSeconds asked (default: as asked). */
  sessionLifetimeMs?: number;
}

export interface TestRolesAnywhereServer {
  endpoint: string;
  region: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** Sessions issued, oldest first. */
  readonly issued: readonly IssuedCredentials[];
  /** Refusals, as `<code>: <message>`, oldest first. */
  readonly refusals: readonly string[];
  /** For the S3 test server: the issued credentials with this access key id, if any. */
  lookup(accessKeyId: string): IssuedCredentials | undefined;
  close(): Promise<void>;
}

const ACCOUNT = '123456789012';
const AUTH = /^(AWS4-X509-RSA-SHA256|AWS4-X509-ECDSA-SHA256) Credential=(\d+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/;

export async function startRolesAnywhereServer(options: RolesAnywhereServerOptions): Promise<TestRolesAnywhereServer> {
  const region = options.region ?? 'eu-north-1';
  const arns = {
    trustAnchorArn: `arn:aws:rolesanywhere:${region}:${ACCOUNT}:trust-anchor/0b5c3d9e-1f2a-4b6c-8d7e-9f0a1b2c3d4e`,
    profileArn: `arn:aws:rolesanywhere:${region}:${ACCOUNT}:profile/6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/datapipe-agent-sites`,
  };
  const issued: IssuedCredentials[] = [];
  const refusals: string[] = [];
  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const outcome = handleCreateSession(req, body, { ...options, region, ...arns });
      if ('refuse' in outcome) {
        refusals.push(`${outcome.refuse.code}: ${outcome.refuse.message}`);
        return sendJson(res, outcome.refuse.status, { message: outcome.refuse.message }, outcome.refuse.code);
      }
      issued.push(outcome.credentials);
      sendJson(res, 201, createSessionAnswer(outcome.credentials, arns.roleArn));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    ...arns,
    issued,
    refusals,
    lookup: (accessKeyId) => issued.find((credentials) => credentials.accessKeyId === accessKeyId),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Outcome = { credentials: IssuedCredentials } | { refuse: { status: number; code: string; message: string } };
type Context = RolesAnywhereServerOptions & { region: string; trustAnchorArn: string; profileArn: string; roleArn: string };

const denied = (message: string): Outcome => ({ refuse: { status: 403, code: 'AccessDeniedException', message } });
const invalid = (message: string): Outcome => ({ refuse: { status: 400, code: 'ValidationException', message } });

function handleCreateSession(req: IncomingMessage, body: Buffer, context: Context): Outcome {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method !== 'POST' || url.pathname !== '/sessions') return { refuse: { status: 404, code: 'ResourceNotFoundException', message: 'Unknown operation.' } };
  const auth = AUTH.exec(req.headers.authorization ?? '');
  if (!auth) return denied('Missing or malformed X.509 Authorization header.');
  const [, algorithm = '', serial = '', day = '', scopeRegion = '', service = '', signedHeaders = '', signature = ''] = auth;
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    leaf = new X509Certificate(Buffer.from(String(req.headers['x-amz-x509'] ?? ''), 'base64'));
    const chainHeader = String(req.headers['x-amz-x509-chain'] ?? '');
    chain = chainHeader === '' ? [] : chainHeader.split(',').map((item) => new X509Certificate(Buffer.from(item, 'base64')));
  } catch {
    return denied('The X-Amz-X509 certificate cannot be parsed.');
  }
  const names = signedHeaders.split(';');
  if (!names.includes('x-amz-x509') || !names.includes('x-amz-date') || !names.includes('host')) return denied('Host, X-Amz-Date and X-Amz-X509 must be signed.');
  if (BigInt(`0x${leaf.serialNumber}`).toString(10) !== serial) return denied('The Credential serial number is not the serial number of the signing certificate.');
  if (scopeRegion !== context.region || service !== 'rolesanywhere') return denied(`Credential scope must be <date>/${context.region}/rolesanywhere.`);
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!date.startsWith(day) || Math.abs(parseAmzDate(date) - Date.now()) > 5 * 60_000) return denied('Signature expired or X-Amz-Date is off by more than 5 minutes.');
  const expected = leaf.publicKey.asymmetricKeyType === 'rsa' ? 'AWS4-X509-RSA-SHA256' : 'AWS4-X509-ECDSA-SHA256';
  if (algorithm !== expected) return denied(`A ${leaf.publicKey.asymmetricKeyType ?? '?'} certificate signs with ${expected}.`);
  const toSign = [algorithm, date, `${day}/${scopeRegion}/${service}/aws4_request`, sha256(canonicalRequestOf(req, url, names, body))].join('\n');
  if (!verify('sha256', Buffer.from(toSign), expected.includes('ECDSA') ? { key: leaf.publicKey, dsaEncoding: 'der' } : leaf.publicKey, Buffer.from(signature, 'hex'))) {
    return denied('Signature validation failed.');
  }
  const untrusted = chainProblem(leaf, chain, context.trustAnchors);
  if (untrusted) return denied(`Untrusted certificate. ${untrusted}`);
  const query = Object.fromEntries(url.searchParams);
  if (query.trustAnchorArn !== context.trustAnchorArn || query.profileArn !== context.profileArn || query.roleArn !== context.roleArn) {
    return invalid('Unknown trust anchor, profile or role for this account.');
  }
  const { durationSeconds } = JSON.parse(body.toString('utf8') || '{}') as { durationSeconds?: number };
  const lifetimeMs = context.sessionLifetimeMs ?? (durationSeconds ?? 3600) * 1000;
  return {
    credentials: {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(120).toString('base64'),
      expiration: new Date(Date.now() + lifetimeMs),
      issuedAt: new Date(),
      subjectCommonName: /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1] ?? '',
    },
  };
}

function canonicalRequestOf(req: IncomingMessage, url: URL, names: string[], body: Buffer): string {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = Object.fromEntries(url.searchParams);
  const request = new HttpRequest({ method: req.method ?? 'POST', hostname: '127.0.0.1', path: url.pathname, query, headers });
  const canonical = getCanonicalHeaders(request, undefined, new Set(names));
  const sorted = Object.keys(canonical).filter((name) => names.includes(name)).sort();
  return [req.method, url.pathname, getCanonicalQuery(request), `${sorted.map((name) => `${name}:${canonical[name] ?? ''}`).join('\n')}\n`, sorted.join(';'), sha256(body)].join('\n');
}

/** null when the leaf is valid now and chains to one of the anchors; else the reason. */
function chainProblem(leaf: X509Certificate, chain: X509Certificate[], anchors: X509Certificate[]): string | null {
  const now = Date.now();
  let current = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    if (now < Date.parse(current.validFrom) || now > Date.parse(current.validTo)) return `Certificate ${current.subject.replace(/\n/g, ', ')} is expired or not yet valid.`;
    const anchor = anchors.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (anchor) return null;
    const next = chain.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (!next) break;
    current = next;
  }
  return 'The certificate does not chain to the trust anchor.';
}

function createSessionAnswer(credentials: IssuedCredentials, roleArn: string): unknown {
  return {
    credentialSet: [
      {
        assumedRoleUser: { arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${credentials.subjectCommonName}`, assumedRoleId: `AROA${credentials.accessKeyId.slice(4)}` },
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration: credentials.expiration.toISOString(),
        },
        packedPolicySize: 10,
        roleArn,
        sourceIdentity: `CN=${credentials.subjectCommonName}`,
      },
    ],
    subjectArn: `arn:aws:rolesanywhere:eu-north-1:${ACCOUNT}:subject/${createHash('sha1').update(credentials.subjectCommonName).digest('hex').slice(0, 32)}`,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : NaN;
}
