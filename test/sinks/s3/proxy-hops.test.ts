// S3 uploads through a proxy: when something fails, the error names the hop that failed (the proxy
// refused or wants credentials, vs. the proxy could not reach S3), with the loopback proxy and the
// S3-protocol server on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../agent/config/secret.ts';
import { SinkError } from '../../../agent/errors.ts';
import { describeProxy } from '../../../agent/net/index.ts';
import { createNodeHttpHandler } from '../../../agent/sinks/s3/node-http-handler.ts';
import { createS3Sink } from '../../../agent/sinks/s3/sink.ts';
import { createListLogger } from '../../helpers/list-logger.ts';
import { startTestProxy } from '../../helpers/proxy.ts';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.ts';

const BUCKET = 'open-meteo-source-bucket';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function uploadVia(server: TestS3Server, proxyUrl: string): Promise<SinkError> {
  const network = { proxy: proxyUrl };
  const requestHandler = await createNodeHttpHandler(network, server.endpoint, { requestTimeoutMs: 5_000, connectionTimeoutMs: 2_000 });
  const sink = createS3Sink({
    config: { bucket: BUCKET, region: 'us-east-1', prefix: 'raw/', endpoint: server.endpoint, retrySchedule: '*/5 * * * *' },
    logger: createListLogger('s3'),
    requestHandler,
    timeoutSeconds: 5,
    credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: new Secret(server.credentials.secretAccessKey) },
    proxy: describeProxy(proxyUrl),
  });
  cleanups.push(() => sink.destroy());
  const error = await sink.upload('raw/a.ndjson', Buffer.from('{}\n')).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

describe('S3 errors through a proxy name the hop', () => {
  it('the proxy refuses connections: the proxy is named, not S3', async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    cleanups.push(() => server.close());
    const proxy = await startTestProxy();
    const proxyUrl = proxy.url;
    await proxy.close();
    const error = await uploadVia(server, proxyUrl);
    expect(error.code).toBe('NetworkError');
    expect(error.message).toContain(`network error ECONNREFUSED talking to the proxy ${proxyUrl} (on the way to ${new URL(server.endpoint).host})`);
    expect(error.hint).toContain('check network.proxy / HTTPS_PROXY');
  });

  it('the proxy wants credentials (407): not retryable, says Basic only and what to ask IT for', async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startTestProxy({ requireAuth: { user: 'tech', password: 'Pr0xy-pass-42' } });
    cleanups.push(() => server.close(), () => proxy.close());
    const error = await uploadVia(server, proxy.url);
    expect(error.code).toBe('ProxyAuthenticationRequired');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^The proxy http:\/\/127\.0\.0\.1:\d+\/? refused the upload of .*: it wants credentials \(HTTP 407\); S3 was not reached\.$/);
    expect(error.hint).toMatch(/NTLM\/Kerberos\) is not supported: ask IT for a proxy account with Basic authentication/);
  });

  it('the proxy is up but S3 is not: the proxy error page is recognised as such', async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startTestProxy();
    cleanups.push(() => server.close(), () => proxy.close());
    await server.setDown(true);
    const error = await uploadVia(server, proxy.url);
    expect(error.code).toBe('HTTP502');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`The proxy ${proxy.url} probably answered this itself (no S3 error code): it could not reach ${new URL(server.endpoint).host}`);
  });
});
