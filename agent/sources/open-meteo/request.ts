// One HTTP GET to the Open-Meteo forecast endpoint: builds the URL for a batch of locations, sends
// it through the caller's undici dispatcher (proxy, extra CA), and reads the whole body under one
// deadline. Transport failures become SourceErrors ('timeout', 'network'); a shutdown abort is
// rethrown as the caller's abort reason so it is never mistaken for a source failure.
//
// The URL's query string can hold the api key, so nothing here puts the URL, its query string or
// the key into a message: errors name the endpoint as host + path only.
import { request, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Location } from '../../config/types.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { SourceError } from '../../errors.ts';
import { isCertificateTrustError } from '../../net/certificate-trust.ts';
import { AGENT_VERSION } from '../../version.ts';

/** A body this large is not a weather answer for 1,000 locations; stop reading it. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
}

export interface GetOptions {
  dispatcher?: Dispatcher;
  timeoutMs: number;
  signal?: AbortSignal;
  /** host + path, for messages. */
  endpoint: string;
  /** Removes secrets (the api key) from text that came from elsewhere, e.g. a TLS error. */
  scrub: (text: string) => string;
  /** Times the deadline and the duration; the real clock when absent (tests pass a manual one). */
  clock?: Clock;
}

/** host + path of a URL: the only form of an Open-Meteo URL that may appear in logs and errors. */
export function describeEndpoint(url: URL): string {
  return `${url.host}${url.pathname}`;
}

/**
 * The request URL for one batch. Query parameters already in the configured URL (e.g. timezone on
 * a self-hosted instance) are kept; the ones the agent owns are set.
 */
export function buildBatchUrl(base: URL, batch: Location[], variables: string[], apiKey: string | undefined): URL {
  const url = new URL(base);
  url.searchParams.set('latitude', batch.map((location) => String(location.latitude)).join(','));
  url.searchParams.set('longitude', batch.map((location) => String(location.longitude)).join(','));
  url.searchParams.set('current', variables.join(','));
  if (apiKey !== undefined) url.searchParams.set('apikey', apiKey);
  return url;
}

/**
 * The body as sent, gunzipped when the server compressed it (asked for with accept-encoding:
 * the answer for 1,000 locations shrinks several times; the server's Vapor/NIO stack compresses on
 * request). MAX_BODY_BYTES applies to the decoded text.
 */
function decodedBody(body: Readable, headers: IncomingHttpHeaders): AsyncIterable<Buffer | string> {
  const encoding = String(headers['content-encoding'] ?? '').trim().toLowerCase();
  // pipeline (not pipe) so a reset connection or an abort also ends the gunzip stream with an error.
  return encoding === 'gzip' || encoding === 'x-gzip' ? pipeline(body, createGunzip(), () => undefined) : body;
}

async function readBody(body: AsyncIterable<Buffer | string>, endpoint: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new SourceError('bad-body', `Open-Meteo at ${endpoint} sent more than ${MAX_BODY_BYTES} bytes; the answer was dropped.`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The first error code found along an error's cause chain (ECONNREFUSED, UND_ERR_SOCKET, ...). */
function findErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function networkHint(code: string | undefined): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return ' Check DNS, or set network.proxy if this server must use a proxy.';
  if (code === 'ECONNREFUSED') return ' Check open_meteo.url and network.proxy.';
  if (isCertificateTrustError(code)) return ' If a proxy inspects TLS, set network.ca_file to its CA certificate.';
  return '';
}

/** A transport failure as a SourceError; the agent tries again next cycle. */
export function classifyTransportError(error: unknown, endpoint: string, scrub: (text: string) => string): SourceError {
  if (error instanceof SourceError) return error;
  const code = findErrorCode(error);
  const detail = scrub(error instanceof Error ? error.message : String(error));
  if (code?.startsWith('Z_')) {
    return new SourceError('bad-body', `Open-Meteo at ${endpoint} sent a damaged gzip body (${code}); no data from this request was kept.`, { cause: error });
  }
  if (code && TIMEOUT_CODES.has(code)) {
    return new SourceError('timeout', `Open-Meteo at ${endpoint} timed out (${code}).`, { cause: error });
  }
  const codeText = code ? `${code}: ` : '';
  return new SourceError('network', `Could not reach Open-Meteo at ${endpoint} (${codeText}${detail}).${networkHint(code)}`, {
    cause: error,
  });
}

/**
 * Sends one GET and reads the whole answer before `timeoutMs` runs out. Resolves for every HTTP
 * status; rejects with a SourceError for transport failures, or with `signal.reason` on abort.
 */
export async function getWithDeadline(url: URL, options: GetOptions): Promise<HttpReply> {
  const { signal, endpoint } = options;
  signal?.throwIfAborted();
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const controller = new AbortController();
  let timedOut = false;
  const cancelTimer = clock.setTimer(options.timeoutMs, () => {
    timedOut = true;
    controller.abort(new Error('Open-Meteo deadline reached'));
  });
  const forwardAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const response = await request(url, {
      method: 'GET',
      signal: controller.signal,
      headers: { accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': `datapipe-agent/${AGENT_VERSION}` },
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const text = await readBody(decodedBody(response.body, response.headers), endpoint);
    return { status: response.statusCode, headers: response.headers, text, ms: Math.round(clock.monotonic() - started) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timedOut) {
      const seconds = options.timeoutMs / 1000;
      throw new SourceError('timeout', `Open-Meteo at ${endpoint} did not answer within ${seconds} s (open_meteo.timeout_seconds).`, {
        cause: error,
      });
    }
    throw classifyTransportError(error, endpoint, options.scrub);
  } finally {
    cancelTimer();
    signal?.removeEventListener('abort', forwardAbort);
  }
}
