// PutObject behaviour of the test S3 server (s3-server.ts) that fauxqs lacks, and the write
// faults that need the request body:
//   - If-None-Match: * as S3 does it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
//     412 PreconditionFailed when the key exists, 409 ConditionalRequestConflict while another
//     conditional write of the same key is in flight;
//   - a 200 that stores nothing, with an empty or an HTML body (a TLS-inspecting proxy, an odd store);
//   - store-then-reset: the object is stored, then the connection is reset before the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { buildApp } from 'fauxqs';

type FauxqsApp = ReturnType<typeof buildApp>;

export interface WriteRejection {
  status: number;
  code: string;
  message: string;
}

const HTML_PAGE = '<!DOCTYPE html><html><head><title>Connection inspected</title></head><body><p>This request was inspected.</p></body></html>';

/** The object path of a PutObject (`/bucket/key`, as sent). */
function objectPath(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://x').pathname;
}

/**
 * For a PutObject with If-None-Match: *, the answer S3 would give instead of storing, or undefined
 * when it may go ahead; then the key counts as being written until `res` closes.
 */
export async function checkConditionalPut(app: FauxqsApp, req: IncomingMessage, res: ServerResponse, inFlight: Set<string>): Promise<WriteRejection | undefined> {
  if (req.headers['if-none-match'] !== '*') return undefined;
  const path = objectPath(req);
  if (inFlight.has(path)) {
    return { status: 409, code: 'ConditionalRequestConflict', message: 'A conflicting conditional operation is currently in progress against this resource.' };
  }
  const head = await app.inject({ method: 'HEAD', url: path });
  if (head.statusCode === 200) {
    return { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' };
  }
  inFlight.add(path);
  res.once('close', () => inFlight.delete(path));
  return undefined;
}

/** Reads the whole request, then answers 200 as a proxy would: no ETag, no checksum, nothing stored. */
export async function answerWithoutStoring(req: IncomingMessage, res: ServerResponse, body: 'empty' | 'html'): Promise<void> {
  for await (const chunk of req) void chunk;
  const page = body === 'html' ? HTML_PAGE : '';
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(page), server: 'test-inspecting-proxy/1.0' };
  if (body === 'html') headers['content-type'] = 'text/html; charset=utf-8';
  res.writeHead(200, headers);
  res.end(page);
}

/** Stores the object in fauxqs as a normal PUT would, then resets the connection unanswered. */
export async function storeThenReset(app: FauxqsApp, req: IncomingMessage): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  const stored = await app.inject({ method: 'PUT', url: req.url ?? '/', headers, payload: Buffer.concat(chunks) });
  if (stored.statusCode !== 200) throw new Error(`test S3 server: store-then-reset could not store (${stored.statusCode})`);
  req.socket.resetAndDestroy();
}
