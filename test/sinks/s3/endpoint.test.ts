// s3EndpointUrl must name the host the S3 client really connects to: checked against the SDK
// itself (the host of the request it hands its request handler), and through the proxy decision
// that depends on it (an exact-host NO_PROXY entry for the bucket's virtual host).
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { resolveProxy } from '../../../agent/net/proxy.ts';
import { s3EndpointUrl } from '../../../agent/sinks/s3/endpoint.ts';

/** The host the SDK sends a PutObject to; the handler stops the request before any network. */
async function hostTheSdkCalls(s3: { bucket: string; region: string; endpoint?: string }): Promise<string> {
  let host = '';
  const client = new S3Client({
    region: s3.region,
    // As sinks/s3/sink.ts configures the client.
    ...(s3.endpoint ? { endpoint: s3.endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: false,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' },
    requestHandler: {
      handle: async (request: HttpRequest) => {
        host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
        throw new Error('request captured');
      },
    },
  });
  await expect(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'k.ndjson', Body: 'x' }))).rejects.toThrow('request captured');
  client.destroy();
  return host;
}

describe('s3EndpointUrl', () => {
  it.each([
    { what: 'AWS, virtual-hosted style', s3: { bucket: 'acme-weather', region: 'eu-west-1' }, host: 'acme-weather.s3.eu-west-1.amazonaws.com' },
    { what: 'AWS us-east-1 (regional, not the global endpoint)', s3: { bucket: 'acme-weather', region: 'us-east-1' }, host: 'acme-weather.s3.us-east-1.amazonaws.com' },
    { what: 'AWS China partition', s3: { bucket: 'acme-weather', region: 'cn-north-1' }, host: 'acme-weather.s3.cn-north-1.amazonaws.com.cn' },
    { what: 'AWS, a dotted bucket goes path style', s3: { bucket: 'acme.weather', region: 'eu-west-1' }, host: 's3.eu-west-1.amazonaws.com' },
    { what: 'custom endpoint, path style', s3: { bucket: 'acme-weather', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000' }, host: '127.0.0.1:9000' },
    { what: 'custom endpoint by name, path style', s3: { bucket: 'acme-weather', region: 'eu-west-1', endpoint: 'https://minio.corp.example' }, host: 'minio.corp.example' },
  ])('$what: the host the SDK connects to', async ({ s3, host }) => {
    expect(new URL(s3EndpointUrl(s3)).host).toBe(host);
    expect(await hostTheSdkCalls(s3)).toBe(host);
  });

  it('lets an exact-host NO_PROXY entry for the bucket virtual host connect directly', () => {
    const url = s3EndpointUrl({ bucket: 'acme-weather', region: 'eu-west-1' });
    const env = { NO_PROXY: 'acme-weather.s3.eu-west-1.amazonaws.com' };
    expect(resolveProxy(url, { proxy: 'http://proxy.corp.example:3128' }, env)).toBeUndefined();
    expect(resolveProxy(url, {}, { ...env, HTTPS_PROXY: 'http://proxy.corp.example:3128' })).toBeUndefined();
    // Another bucket's host is still proxied: the entry is exact, not a wildcard.
    expect(resolveProxy(s3EndpointUrl({ bucket: 'other', region: 'eu-west-1' }), { proxy: 'http://proxy.corp.example:3128' }, env)).toBe('http://proxy.corp.example:3128');
  });
});
