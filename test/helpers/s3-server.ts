// A real S3-protocol server on 127.0.0.1 for tests and the demo: fauxqs (an S3 emulator) behind
// our own http.Server, which adds what fauxqs lacks and real S3 has:
//   - SigV4 checking: every request is re-signed with @smithy/signature-v4 from the received
//     SignedHeaders and x-amz-date and compared, so wrong keys get S3's 403 XML errors;
//   - a region: a credential scope for another region gets 400 AuthorizationHeaderMalformed;
//   - If-None-Match: * on PutObject (412 on an existing key, 409 while one is being written);
//   - faults for the next requests (S3 XML error status, socket reset, slow answer, hang, a 200
//     that stores nothing, store-then-reset; see s3-writes.ts);
//   - `setDown`: the listening socket closes (ECONNREFUSED on the same port) while the objects,
//     kept in the fauxqs app, survive until it listens again;
//   - `onEvent`: a listener told when a PutObject arrives and is answered and when a fault is
//     applied (the fault campaign uses it to aim kill -9 at upload windows); `dropHanging` ends
//     hung requests with a reset, like a middlebox timing out.
// fauxqs itself never listens: requests reach it through `app.routing`, and the test side reads
// and creates buckets through `app.inject`, which bypasses faults, auth and the down state.
//
// Run directly for the demo (prints endpoint and credentials, Ctrl+C stops it):
//   node test/helpers/s3-server.ts --port 9000 --bucket open-meteo-source-bucket
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildApp } from 'fauxqs';
import { answerWithoutStoring, checkConditionalPut, storeThenReset } from './s3-writes.ts';

/** What the server does to one request instead of (or before) answering it normally. */
export type S3Fault =
  /** Answers `status` with S3's XML error body carrying `code`. */
  | { kind: 'status'; status: number; code: string; message?: string }
  /** Destroys the connection with a TCP reset before answering. */
  | { kind: 'reset' }
  /** Waits `delayMs`, then answers normally. */
  | { kind: 'slow'; delayMs: number }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' }
  /** Answers 200 without storing anything, with an empty or an HTML body (no ETag, no checksum). */
  | { kind: 'ok-without-storing'; body: 'empty' | 'html' }
  /** A PutObject is stored (auth and If-None-Match checked as usual), then the connection is
   *  reset before the answer. Follow it with `status` 503 SlowDown faults for "stored, then
   *  every retry refused". */
  | { kind: 'store-then-reset' };

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  createBucket(name: string): Promise<void>;
  /** Every object of `bucket` with its bytes, read on the test side (no faults, no auth). */
  listObjects(bucket: string): Promise<{ key: string; body: Buffer }[]>;
  /** PutObject requests that reached the server, whatever their outcome. */
  readonly putRequests: number;
  /** down: connections are refused on the same port; stored objects survive. */
  setDown(down: boolean): Promise<void>;
  /** Applied to the next requests, one fault per request, in order. */
  injectFaults(...faults: S3Fault[]): void;
  /** Faults injected but not applied yet, in order. */
  readonly pendingFaults: readonly S3Fault[];
  /** Forgets faults not applied yet. */
  clearFaults(): void;
  /** Resets the connections of requests held by a `hang` fault; returns how many. */
  dropHanging(): number;
  /** Calls `listener` for every S3ServerEvent until the returned function is called. */
  onEvent(listener: (event: S3ServerEvent) => void): () => void;
  close(): Promise<void>;
}

/** What happened to one request, as seen by the server. */
export type S3ServerEvent =
  /** A PutObject's headers arrived (its body may still be streaming). */
  | { type: 'put-received'; key: string; bytes: number }
  /** The server finished sending its answer to a PutObject (2xx: the object is stored, unless an
   *  ok-without-storing fault answered; a store-then-reset PUT is stored but never answered). */
  | { type: 'put-answered'; key: string; status: number }
  /** A fault was applied to a request. */
  | { type: 'fault'; fault: S3Fault; method: string; key: string };

export interface S3ServerOptions {
  buckets?: string[];
  /** 0 or absent: a free port. */
  port?: number;
  /** The region the server accepts in credential scopes (default us-east-1). */
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export const TEST_S3_CREDENTIALS = {
  accessKeyId: 'AKIADATAPIPETEST0001',
  secretAccessKey: 'datapipe-test-secret-key-for-127.0.0.1-only',
};

type FauxqsApp = ReturnType<typeof buildApp>;

export async function startS3Server(options: S3ServerOptions = {}): Promise<TestS3Server> {
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? TEST_S3_CREDENTIALS;
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.ready();
  const faults: S3Fault[] = [];
  const hanging = new Set<ServerResponse>();
  const writing = new Set<string>();
  const listeners = new Set<(event: S3ServerEvent) => void>();
  const emit = (event: S3ServerEvent) => {
    for (const listener of listeners) listener(event);
  };
  let putRequests = 0;

  const server = createServer((req, res) => {
    if (isPutObject(req)) {
      putRequests += 1;
      const key = objectKeyOf(req);
      emit({ type: 'put-received', key, bytes: Number(req.headers['content-length'] ?? 0) });
      res.once('finish', () => emit({ type: 'put-answered', key, status: res.statusCode }));
    }
    void handleRequest(app, req, res, { faults, hanging, writing, region, credentials, emit }).catch((error: unknown) => {
      if (!res.headersSent) sendS3Error(req, res, 500, 'InternalError', `Test server failure: ${String(error)}`);
    });
  });
  const port = await listen(server, options.port ?? 0);
  const endpoint = `http://127.0.0.1:${port}`;
  let down = false;

  const injectOk = (method: 'GET' | 'PUT', url: string) => injectOrThrow(app, method, url);

  const handle: TestS3Server = {
    endpoint,
    region,
    credentials,
    get putRequests() {
      return putRequests;
    },
    createBucket: async (name) => {
      await injectOk('PUT', `/${encodeURIComponent(name)}`);
    },
    listObjects: (bucket) => readAllObjects(app, bucket),
    setDown: async (wantDown) => {
      if (wantDown === down) return;
      down = wantDown;
      if (wantDown) await stopListening(server, hanging);
      else await listen(server, port);
    },
    injectFaults: (...more) => {
      faults.push(...more);
    },
    get pendingFaults() {
      return [...faults];
    },
    clearFaults: () => {
      faults.splice(0);
    },
    dropHanging: () => {
      const count = hanging.size;
      for (const res of hanging) res.socket?.resetAndDestroy();
      hanging.clear();
      return count;
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: async () => {
      if (!down) await stopListening(server, hanging);
      down = true;
      await app.close();
    },
  };
  for (const bucket of options.buckets ?? []) await handle.createBucket(bucket);
  return handle;
}

async function injectOrThrow(app: FauxqsApp, method: 'GET' | 'PUT', url: string) {
  const response = await app.inject({ method, url });
  if (response.statusCode >= 300) throw new Error(`test S3 server: ${method} ${url} -> ${response.statusCode} ${response.body}`);
  return response;
}

async function readAllObjects(app: FauxqsApp, bucket: string): Promise<{ key: string; body: Buffer }[]> {
  const keys = await listKeys((url) => injectOrThrow(app, 'GET', url).then((r) => r.body), bucket);
  const objects: { key: string; body: Buffer }[] = [];
  for (const key of keys) {
    const response = await injectOrThrow(app, 'GET', `/${encodeURIComponent(bucket)}/${encodeKey(key)}`);
    objects.push({ key, body: response.rawPayload });
  }
  return objects;
}

interface RequestContext {
  faults: S3Fault[];
  hanging: Set<ServerResponse>;
  /** Object paths a conditional PUT is writing now. */
  writing: Set<string>;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  emit: (event: S3ServerEvent) => void;
}

async function handleRequest(app: FauxqsApp, req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> {
  const fault = context.faults.shift();
  if (fault) context.emit({ type: 'fault', fault, method: req.method ?? '', key: objectKeyOf(req) });
  if (fault?.kind === 'reset') return void req.socket.resetAndDestroy();
  if (fault?.kind === 'hang') {
    context.hanging.add(res);
    res.on('close', () => context.hanging.delete(res));
    return;
  }
  if (fault?.kind === 'slow') await delay(fault.delayMs);
  if (req.destroyed) return;
  if (fault?.kind === 'status') return sendS3Error(req, res, fault.status, fault.code, fault.message ?? `Injected ${fault.code}.`);
  if (fault?.kind === 'ok-without-storing') return answerWithoutStoring(req, res, fault.body);
  const rejection = await checkSignature(req, context);
  if (rejection) return sendS3Error(req, res, rejection.status, rejection.code, rejection.message, rejection.extra);
  const conflict = isPutObject(req) ? await checkConditionalPut(app, req, res, context.writing) : undefined;
  if (conflict) return sendS3Error(req, res, conflict.status, conflict.code, conflict.message);
  if (fault?.kind === 'store-then-reset' && isPutObject(req)) return storeThenReset(app, req);
  app.routing(req, res);
}

/** The object key of a path-style request ('' for bucket-level requests). */
function objectKeyOf(req: IncomingMessage): string {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const slash = path.indexOf('/', 1);
  return slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
}

function isPutObject(req: IncomingMessage): boolean {
  const url = new URL(req.url ?? '/', 'http://x');
  const isObjectPath = /^\/[^/]+\/.+/.test(url.pathname);
  return req.method === 'PUT' && isObjectPath && !url.searchParams.has('uploadId') && !req.headers['x-amz-copy-source'];
}

// --- SigV4 ---------------------------------------------------------------------------------------

interface Rejection {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, string>;
}

const AUTH_PATTERN = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

async function checkSignature(req: IncomingMessage, context: RequestContext): Promise<Rejection | undefined> {
  const match = AUTH_PATTERN.exec(req.headers.authorization ?? '');
  if (!match) return { status: 403, code: 'AccessDenied', message: 'Access Denied (no or malformed SigV4 Authorization header).' };
  const [, accessKeyId = '', , scopeRegion = '', service = '', signedHeaders = '', signature = ''] = match;
  if (accessKeyId !== context.credentials.accessKeyId) {
    return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', extra: { AWSAccessKeyId: accessKeyId } };
  }
  if (scopeRegion !== context.region) {
    return {
      status: 400,
      code: 'AuthorizationHeaderMalformed',
      message: `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${context.region}'`,
      extra: { Region: context.region },
    };
  }
  const expected = await computeSignature(req, context, { region: scopeRegion, service, signedHeaders: signedHeaders.split(';') });
  if (expected.signature === signature) return undefined;
  return {
    status: 403,
    code: 'SignatureDoesNotMatch',
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    extra: { AWSAccessKeyId: accessKeyId, StringToSign: expected.stringToSign, SignatureProvided: signature },
  };
}

async function computeSignature(
  req: IncomingMessage,
  context: RequestContext,
  scope: { region: string; service: string; signedHeaders: string[] },
): Promise<{ signature: string; stringToSign: string }> {
  const url = new URL(req.url ?? '/', 'http://x');
  const headers: Record<string, string> = {};
  for (const name of scope.signedHeaders) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  const signer = new SignatureV4({
    credentials: context.credentials,
    region: scope.region,
    service: scope.service,
    sha256: NodeSha256,
    uriEscapePath: false, // S3 signs the path as sent, without double encoding
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname: '127.0.0.1', path: url.pathname, query, headers },
    { signingDate: parseAmzDate(headers['x-amz-date'] ?? ''), signableHeaders: new Set(scope.signedHeaders) },
  );
  const signature = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
  // Real S3 echoes its full string-to-sign; its first lines are enough to test that nobody logs it.
  return { signature, stringToSign: `AWS4-HMAC-SHA256\n${headers['x-amz-date'] ?? ''}\n(credential scope)\n(canonical request hash)` };
}

function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return new Date(0);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** The hash class smithy's signer expects, on node:crypto (HMAC when given a secret). */
class NodeSha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    throw new Error('NodeSha256.reset is not supported');
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): Buffer | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

// --- responses, listing, sockets ------------------------------------------------------------------

function sendS3Error(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const fields = { Code: code, Message: message, ...extra, RequestId: randomBytes(8).toString('hex').toUpperCase(), HostId: 'test-s3-server' };
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('')}</Error>`;
  // Read the request body first, as S3 does, so the client sees the answer and not a broken pipe.
  req.resume();
  const send = () => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.complete) send();
  else req.once('end', send);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

async function listKeys(get: (url: string) => Promise<string>, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const query = `list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
    const xml = await get(`/${encodeURIComponent(bucket)}?${query}`);
    for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescapeXml(match[1] ?? ''));
    const next = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)</.exec(xml)?.[1] : undefined;
    token = next === undefined ? undefined : unescapeXml(next);
  } while (token);
  return keys;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stopListening(server: Server, hanging: Set<ServerResponse>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- run directly ---------------------------------------------------------------------------------

async function runFromCommandLine(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '9000' }, bucket: { type: 'string', multiple: true }, region: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0-65535), got "${values.port}"`);
  const server = await startS3Server({ port, buckets: values.bucket ?? [], ...(values.region ? { region: values.region } : {}) });
  console.log(`S3-protocol test server listening on ${server.endpoint} (127.0.0.1 only)`);
  console.log(`  region:            ${server.region}`);
  console.log(`  buckets:           ${(values.bucket ?? []).join(', ') || '(none)'}`);
  console.log(`  access key id:     ${server.credentials.accessKeyId}`);
  console.log(`  secret access key: ${server.credentials.secretAccessKey}`);
  console.log('Press Ctrl+C to stop.');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runFromCommandLine().catch((error: unknown) => {
    console.error(`s3-server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
