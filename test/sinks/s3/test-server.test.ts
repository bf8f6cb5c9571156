// The S3-protocol test server itself (test/helpers/s3-server.ts), driven by a plain SDK client
// with default settings: it must behave like S3 where the sink tests rely on it.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.ts';

const BUCKET = 'test-server-bucket';
let server: TestS3Server;
const clients: S3Client[] = [];

beforeEach(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await server.close();
});

function client(overrides: { secretAccessKey?: string; maxAttempts?: number } = {}): S3Client {
  const made = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    maxAttempts: overrides.maxAttempts ?? 1,
    credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: overrides.secretAccessKey ?? server.credentials.secretAccessKey },
  });
  clients.push(made);
  return made;
}

describe('test S3 server', () => {
  it('stores a streamed body sent aws-chunked with a CRC32 trailer, byte for byte', async () => {
    const body = Buffer.concat([Buffer.alloc(70_000, 'a'), Buffer.from('\n{"ü":"€"}\n')]);
    const stream = Readable.from([body.subarray(0, 33_333), body.subarray(33_333)]);
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'dir/with space+plus.ndjson', Body: stream, ContentLength: body.length }));
    const objects = await server.listObjects(BUCKET);
    expect(objects.map((o) => o.key)).toEqual(['dir/with space+plus.ndjson']);
    expect(objects[0]?.body.equals(body)).toBe(true);
    expect(server.putRequests).toBe(1);
  });

  it('rejects a wrong secret with 403 SignatureDoesNotMatch and stores nothing', async () => {
    const put = client({ secretAccessKey: 'not-the-secret' }).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: Buffer.from('x') }));
    await expect(put).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    expect(await server.listObjects(BUCKET)).toEqual([]);
  });

  it('applies injected faults in order, then answers normally', async () => {
    server.injectFaults({ kind: 'status', status: 503, code: 'SlowDown' }, { kind: 'reset' });
    const put = () => client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: Buffer.from('x') }));
    await expect(put()).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    await expect(put()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await put();
    expect((await server.listObjects(BUCKET)).map((o) => o.key)).toEqual(['k']);
    expect(server.putRequests).toBe(3);
  });

  it('honours If-None-Match: * like S3: 412 PreconditionFailed on an existing key, which keeps its bytes', async () => {
    const put = (body: string, conditional: boolean) =>
      client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: Buffer.from(body), ...(conditional ? { IfNoneMatch: '*' } : {}) }));
    await put('first', true);
    await expect(put('second', true)).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect((await server.listObjects(BUCKET)).map((o) => o.body.toString())).toEqual(['first']);
    await put('third', false);
    expect((await server.listObjects(BUCKET)).map((o) => o.body.toString())).toEqual(['third']);
  });

  it('answers 409 ConditionalRequestConflict to a conditional PUT while another one writes the same key', async () => {
    const slowBody = Readable.from((async function* () {
      yield Buffer.from('slow ');
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield Buffer.from('body');
    })());
    const first = client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: slowBody, ContentLength: 9, IfNoneMatch: '*' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: Buffer.from('fast'), IfNoneMatch: '*' }));
    await expect(second).rejects.toMatchObject({ name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } });
    await first;
    expect((await server.listObjects(BUCKET)).map((o) => o.body.toString())).toEqual(['slow body']);
  });

  it('write faults: a 200 that stores nothing (no ETag), and store-then-reset (stored, no answer)', async () => {
    server.injectFaults({ kind: 'ok-without-storing', body: 'empty' }, { kind: 'store-then-reset' });
    const faked = await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faked', Body: Buffer.from('x') }));
    expect(faked.ETag).toBeUndefined();
    expect(faked.$metadata.httpStatusCode).toBe(200);
    await expect(client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stored', Body: Buffer.from('y') }))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await server.listObjects(BUCKET)).map((o) => o.key)).toEqual(['stored']);
  });

  it('refuses connections on the same port while down and keeps the objects', async () => {
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'before', Body: Buffer.from('1') }));
    await server.setDown(true);
    await expect(client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'during', Body: Buffer.from('2') }))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await server.setDown(false);
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after', Body: Buffer.from('3') }));
    expect((await server.listObjects(BUCKET)).map((o) => o.key).sort()).toEqual(['after', 'before']);
  });

  it('runs on its own from the command line on 127.0.0.1 and prints endpoint and credentials', async () => {
    const child = spawn(process.execPath, ['test/helpers/s3-server.ts', '--port', '0', '--bucket', 'open-meteo-source-bucket'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('Ctrl+C')) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
      });
      expect(output).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(output).toContain(server.credentials.accessKeyId);
      expect(output).toContain('open-meteo-source-bucket');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
