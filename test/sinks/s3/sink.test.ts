// The S3 sink against a real S3-protocol server on 127.0.0.1 (fauxqs + SigV4 checking + faults).
// Each test gets its own server and its own sink (a fresh SDK client, so no retry quota carries
// over). Assertions are on outcomes: the bytes S3 holds, the SinkError thrown, the log lines.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../../agent/config/types.ts';
import { Secret } from '../../../agent/config/secret.ts';
import { SinkError } from '../../../agent/errors.ts';
import { redactText } from '../../../agent/log/logger.ts';
import { createS3Sink, MAX_ATTEMPTS, type S3Sink } from '../../../agent/sinks/s3/sink.ts';
import { createListLogger } from '../../helpers/list-logger.ts';
import { startS3Server, type S3Fault, type TestS3Server } from '../../helpers/s3-server.ts';
import { LogEvents } from '../../../agent/log/events.ts';

const BUCKET = 'open-meteo-source-bucket';
const KEY = 'landing/acme/2026/11/21/acme_20261121T101500Z_0001.ndjson';
const BODY = Buffer.from('{"record":1,"temperature_2m":4.2}\n{"record":2,"temperature_2m":"ü€"}\n');
const CREDENTIALS_FILE = '/etc/datapipe-agent/aws-credentials.ini';
const WRONG_SECRET = 'wrong-secret-9f8e7d6c5b4a39281706';
// The sink's timeout option takes fractions (it multiplies by 1000); each timeout test waits up to
// MAX_ATTEMPTS times it, so half a second keeps those tests at ~1.5 s instead of 3 s.
const SHORT_TIMEOUT_SECONDS = 0.5;

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

interface SinkOverrides {
  config?: Partial<S3Config>;
  secret?: string;
  accessKeyId?: string;
  timeoutSeconds?: number;
}

function makeSink(overrides: SinkOverrides = {}): S3Sink {
  const { config, secret, accessKeyId, timeoutSeconds } = overrides;
  const sink = createS3Sink({
    config: {
      bucket: BUCKET,
      region: 'us-east-1',
      prefix: 'landing/',
      endpoint: server.endpoint,
      credentialsFile: CREDENTIALS_FILE,
      retrySchedule: '*/5 * * * *',
      ...config,
    },
    logger,
    credentials: {
      accessKeyId: accessKeyId ?? server.credentials.accessKeyId,
      secretAccessKey: new Secret(secret ?? server.credentials.secretAccessKey),
    },
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  });
  sinks.push(sink);
  return sink;
}

async function uploadError(sink: S3Sink, signal?: AbortSignal): Promise<SinkError> {
  const error: unknown = await sink.upload(KEY, BODY, signal).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

function times(fault: S3Fault, count = MAX_ATTEMPTS): S3Fault[] {
  return Array.from({ length: count }, () => fault);
}

function expectNoSecretsIn(error: SinkError): void {
  const text = `${error.message}\n${error.hint ?? ''}`;
  for (const secret of [server.credentials.secretAccessKey, WRONG_SECRET]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/AWS4-HMAC-SHA256|Signature=|[0-9a-f]{64}|X-Amz-Signature/);
  for (const line of logger.lines) {
    expect(line.text).not.toContain(server.credentials.secretAccessKey);
    expect(line.text).not.toContain(WRONG_SECRET);
  }
}

describe('S3 sink: successful upload', () => {
  it('stores exactly the bytes at the key with one PUT and logs it at debug', async () => {
    await makeSink().upload(KEY, BODY);
    const objects = await server.listObjects(BUCKET);
    expect(objects.map((o) => o.key)).toEqual([KEY]);
    expect(objects[0]?.body.equals(BODY)).toBe(true);
    expect(server.putRequests).toBe(1);
    expect(logger.lines.some((l) => l.level === 'debug' && l.event === LogEvents.fileUploaded.name && l.fields['key'] === KEY)).toBe(true);
  });

  it('rides out one 503 SlowDown inside the same upload (the sink retries it, not the SDK)', async () => {
    server.injectFaults({ kind: 'status', status: 503, code: 'SlowDown' });
    await makeSink().upload(KEY, BODY);
    expect((await server.listObjects(BUCKET))[0]?.body.equals(BODY)).toBe(true);
    expect(server.putRequests).toBe(2);
  });

  it('uploads again after the server comes back, and earlier objects survive the outage', async () => {
    const sink = makeSink();
    await sink.upload('first.ndjson', BODY);
    await server.setDown(true);
    const down = await uploadError(sink);
    expect(down).toMatchObject({ code: 'NetworkError', retryable: true });
    await server.setDown(false);
    await sink.upload(KEY, BODY);
    expect((await server.listObjects(BUCKET)).map((o) => o.key).sort()).toEqual([KEY, 'first.ndjson'].sort());
  });
});

describe('S3 sink: errors a person must fix (not retryable, with a hint)', () => {
  it('wrong secret -> SignatureDoesNotMatch naming aws_secret_access_key and the file', async () => {
    const error = await uploadError(makeSink({ secret: WRONG_SECRET }));
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', retryable: false });
    expect(error.message).toContain(`s3://${BUCKET}/${KEY}`);
    expect(error.message).toContain('HTTP 403');
    expect(error.hint).toContain('aws_secret_access_key');
    expect(error.hint).toContain(CREDENTIALS_FILE);
    expect(error.cause).not.toHaveProperty('StringToSign');
    expect(error.cause).not.toHaveProperty('SignatureProvided');
    expectNoSecretsIn(error);
    expect(redactText(`secret is ${server.credentials.secretAccessKey}`)).toBe('secret is **REDACTED**');
  });

  it('unknown access key id -> InvalidAccessKeyId naming aws_access_key_id', async () => {
    const error = await uploadError(makeSink({ accessKeyId: 'AKIAUNKNOWNKEY000000' }));
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId', retryable: false });
    expect(error.hint).toContain('aws_access_key_id');
    expect(error.hint).toContain(CREDENTIALS_FILE);
    expectNoSecretsIn(error);
  });

  it('missing bucket -> NoSuchBucket naming s3.bucket', async () => {
    const error = await uploadError(makeSink({ config: { bucket: 'no-such-bucket-here' } }));
    expect(error).toMatchObject({ code: 'NoSuchBucket', retryable: false });
    expect(error.hint).toContain('s3.bucket');
    expect(error.hint).toContain('no-such-bucket-here');
    expect(await server.listObjects(BUCKET)).toEqual([]);
  });

  it('AccessDenied -> names the IAM action and the resource ARN', async () => {
    server.injectFaults({ kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' });
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code: 'AccessDenied', retryable: false });
    expect(error.hint).toContain('s3:PutObject');
    expect(error.hint).toContain(`arn:aws:s3:::${BUCKET}/landing/*`);
    expect(server.putRequests).toBe(1);
    expectNoSecretsIn(error);
  });

  it('wrong region -> AuthorizationHeaderMalformed naming s3.region and the right one', async () => {
    const error = await uploadError(makeSink({ config: { region: 'eu-central-1' } }));
    expect(error).toMatchObject({ code: 'AuthorizationHeaderMalformed', retryable: false });
    expect(error.hint).toContain('s3.region');
    expect(error.hint).toContain('us-east-1');
  });
});

describe('S3 sink: errors that clear up by themselves (retryable, the file stays)', () => {
  it.each([
    { fault: { kind: 'status', status: 503, code: 'SlowDown' } as S3Fault, code: 'SlowDown' },
    { fault: { kind: 'status', status: 500, code: 'InternalError' } as S3Fault, code: 'InternalError' },
    { fault: { kind: 'status', status: 403, code: 'RequestTimeTooSkewed' } as S3Fault, code: 'RequestTimeTooSkewed' },
    { fault: { kind: 'reset' } as S3Fault, code: 'NetworkError' },
  ])('$code after every attempt failed', async ({ fault, code }) => {
    server.injectFaults(...times(fault));
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code, retryable: true });
    expect(await server.listObjects(BUCKET)).toEqual([]);
    expectNoSecretsIn(error);
  });

  it('server down -> NetworkError (ECONNREFUSED)', async () => {
    await server.setDown(true);
    const error = await uploadError(makeSink());
    expect(error).toMatchObject({ code: 'NetworkError', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toContain('network.proxy');
  });

  it('answers slower than timeout_seconds -> Timeout', async () => {
    server.injectFaults(...times({ kind: 'slow', delayMs: 4_000 }));
    const error = await uploadError(makeSink({ timeoutSeconds: SHORT_TIMEOUT_SECONDS }));
    expect(error).toMatchObject({ code: 'Timeout', retryable: true });
    expect(await server.listObjects(BUCKET)).toEqual([]);
  });

  it('a server that never answers -> Timeout', async () => {
    server.injectFaults(...times({ kind: 'hang' }));
    const error = await uploadError(makeSink({ timeoutSeconds: SHORT_TIMEOUT_SECONDS }));
    expect(error).toMatchObject({ code: 'Timeout', retryable: true });
  });

  it('shutdown aborts a hanging upload at once -> Aborted', async () => {
    server.injectFaults(...times({ kind: 'hang' }));
    const controller = new AbortController();
    const pending = uploadError(makeSink(), controller.signal);
    setTimeout(() => controller.abort(), 200);
    const error = await pending;
    expect(error).toMatchObject({ code: 'Aborted', retryable: true });
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await uploadError(makeSink(), AbortSignal.abort());
    expect(error).toMatchObject({ code: 'Aborted', retryable: true });
    expect(server.putRequests).toBe(0);
  });
});
