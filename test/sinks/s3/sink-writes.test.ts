// What counts as "stored" for the S3 sink, against the real S3-protocol server on 127.0.0.1:
// a 200 that does not prove the write, If-None-Match: * (412 = already there, 409 = retry), the
// verdict over every attempt of one upload, and a proxy's 407 naming the proxy.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../../agent/config/types.ts';
import { Secret } from '../../../agent/config/secret.ts';
import { SinkError } from '../../../agent/errors.ts';
import { describeProxy } from '../../../agent/net/index.ts';
import { createNodeHttpHandler } from '../../../agent/sinks/s3/node-http-handler.ts';
import { createS3Sink, type S3Sink, type S3SinkOptions } from '../../../agent/sinks/s3/sink.ts';
import { createListLogger } from '../../helpers/list-logger.ts';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.ts';
import { startS3Server, type S3Fault, type TestS3Server } from '../../helpers/s3-server.ts';
import { LogEvents } from '../../../agent/log/events.ts';

const BUCKET = 'open-meteo-source-bucket';
const KEY = 'landing/customer=acme/date=2026-11-21/acme_20261121T101500Z_0123456789abcdef.ndjson';
const BODY = Buffer.from('{"record_id":"a","temperature_2m":4.2}\n');

let server: TestS3Server;
let sinks: S3Sink[];
let logger: ReturnType<typeof createListLogger>;

beforeEach(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  sinks = [];
  logger = createListLogger('s3');
});

afterEach(async () => {
  for (const sink of sinks) sink.destroy();
  await server.close();
});

function makeSink(extra: Partial<S3SinkOptions> = {}): S3Sink {
  const config: S3Config = { bucket: BUCKET, region: 'us-east-1', prefix: 'landing/', endpoint: server.endpoint, retrySchedule: '*/5 * * * *' };
  const sink = createS3Sink({
    config,
    logger,
    credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: new Secret(server.credentials.secretAccessKey) },
    timeoutSeconds: 5,
    ...extra,
  });
  sinks.push(sink);
  return sink;
}

async function uploadError(sink: S3Sink, body = BODY): Promise<SinkError> {
  const error: unknown = await sink.upload(KEY, body).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

const storedBodies = async () => (await server.listObjects(BUCKET)).map((o) => o.body.toString('utf8'));

describe('S3 sink: only an answer that proves the write counts', () => {
  it.each([
    { body: 'empty' as const, contentType: 'content-type none' },
    { body: 'html' as const, contentType: 'content-type text/html; charset=utf-8' },
  ])('a 200 with an $body body that stored nothing is an UnconfirmedUpload saying what answered', async ({ body, contentType }) => {
    const fault: S3Fault = { kind: 'ok-without-storing', body };
    server.injectFaults(fault, fault, fault);
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code: 'UnconfirmedUpload', retryable: true, mayHaveBeenStored: true });
    expect(error.message).toContain('HTTP 200');
    expect(error.message).toContain(contentType);
    expect(error.message).toContain('server test-inspecting-proxy/1.0');
    expect(error.message).toContain('no ETag');
    expect(error.hint).toContain('127.0.0.1');
    expect(await server.listObjects(BUCKET)).toEqual([]);
  });

  it('a faked 200 followed by a real answer is delivered on the retry', async () => {
    server.injectFaults({ kind: 'ok-without-storing', body: 'html' });
    await makeSink().upload(KEY, BODY);
    expect(await storedBodies()).toEqual([BODY.toString('utf8')]);
    expect(server.putRequests).toBe(2);
  });
});

describe('S3 sink: immutable objects (If-None-Match: *)', () => {
  it('never overwrites a delivered key: S3 answers 412 and the upload counts as delivered', async () => {
    const sink = makeSink();
    await sink.upload(KEY, BODY);
    await sink.upload(KEY, Buffer.from('{"record_id":"other bytes"}\n'));
    expect(await storedBodies()).toEqual([BODY.toString('utf8')]);
    expect(server.putRequests).toBe(2);
    expect(logger.lines.some((l) => l.level === 'info' && l.event === LogEvents.objectAlreadyStored.name && l.fields['key'] === KEY)).toBe(true);
  });

  it('retries a 409 ConditionalRequestConflict inside the upload', async () => {
    server.injectFaults({ kind: 'status', status: 409, code: 'ConditionalRequestConflict' });
    await makeSink().upload(KEY, BODY);
    expect(await storedBodies()).toEqual([BODY.toString('utf8')]);
    expect(server.putRequests).toBe(2);
  });

  it('finds the object an unanswered attempt stored, and does not store it twice', async () => {
    server.injectFaults({ kind: 'store-then-reset' });
    await makeSink().upload(KEY, BODY);
    expect(await storedBodies()).toEqual([BODY.toString('utf8')]);
    expect(server.putRequests).toBe(2);
    expect(logger.lines.some((l) => l.event === LogEvents.objectAlreadyStored.name)).toBe(true);
  });
});

describe('S3 sink: the verdict covers every attempt', () => {
  it('stored, connection reset, then 503 SlowDown twice: the error says it may have been stored', async () => {
    server.injectFaults({ kind: 'store-then-reset' }, { kind: 'status', status: 503, code: 'SlowDown' }, { kind: 'status', status: 503, code: 'SlowDown' });
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code: 'SlowDown', retryable: true, mayHaveBeenStored: true });
    expect(error.message).toMatch(/3 attempts.*An earlier attempt may have stored it/);
    expect(await server.listObjects(BUCKET)).toHaveLength(1);
    expect(server.putRequests).toBe(3);
  });

  it('503 SlowDown on every attempt: provably not stored', async () => {
    const slowDown: S3Fault = { kind: 'status', status: 503, code: 'SlowDown' };
    server.injectFaults(slowDown, slowDown, slowDown);
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code: 'SlowDown', mayHaveBeenStored: false });
    expect(server.putRequests).toBe(3);
  });
});

describe('S3 sink: a proxy that wants credentials', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await startTestProxy({ requireAuth: { user: 'agent', password: 'proxy-pass-7f3e' } });
  });
  afterEach(async () => {
    await proxy.close();
  });

  // http endpoint: the proxy forwards (absolute URI); https endpoint: CONNECT, refused before TLS,
  // so no server needs to listen at the https address.
  it.each(['http', 'https'] as const)('a 407 to an %s endpoint names the proxy as the hop that failed, not S3, and needs a person', async (scheme) => {
    const network = { proxy: proxy.url };
    const endpoint = scheme === 'http' ? server.endpoint : 'https://127.0.0.1:9';
    const requestHandler = await createNodeHttpHandler(network, endpoint, { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 }, {});
    const config: S3Config = { bucket: BUCKET, region: 'us-east-1', prefix: 'landing/', endpoint, retrySchedule: '*/5 * * * *' };
    const error = await uploadError(makeSink({ config, requestHandler, proxy: describeProxy(proxy.url) }));
    expect(error).toMatchObject({ code: 'ProxyAuthenticationRequired', retryable: false, mayHaveBeenStored: false });
    expect(error.message).toContain(`The proxy ${describeProxy(proxy.url)} refused the upload`);
    expect(error.message).toContain('S3 was not reached');
    expect(error.hint).toContain('network.proxy');
    expect(proxy.requests.map((r) => r.authorized)).toContain(false);
    expect(server.putRequests).toBe(0);
  });
});
