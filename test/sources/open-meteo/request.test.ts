import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../../agent/errors.ts';
import { buildBatchUrl, classifyTransportError, describeEndpoint, getWithDeadline } from '../../../agent/sources/open-meteo/request.ts';
import { createManualClock } from '../../helpers/manual-clock.ts';

const identity = (text: string) => text;
const locations = [
  { id: 'a', name: 'a', latitude: 60.17, longitude: 24.94 },
  { id: 'b', name: 'b', latitude: -33.87, longitude: 151.21 },
];

describe('buildBatchUrl', () => {
  it('sets coordinates, variables and key, keeping other parameters of the configured URL', () => {
    const base = new URL('http://meteo.local:8080/v1/forecast?timezone=auto&latitude=1&current=x');
    const url = buildBatchUrl(base, locations, ['temperature_2m', 'is_day'], 'key-123456');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      timezone: 'auto', latitude: '60.17,-33.87', longitude: '24.94,151.21', current: 'temperature_2m,is_day', apikey: 'key-123456',
    });
    expect(base.search).toBe('?timezone=auto&latitude=1&current=x');
  });

  it('sends no apikey parameter without a key', () => {
    expect(buildBatchUrl(new URL('https://api.open-meteo.com/v1/forecast'), locations, ['rain'], undefined).searchParams.has('apikey')).toBe(false);
  });
});

describe('describeEndpoint', () => {
  it('gives host and path only', () => {
    expect(describeEndpoint(new URL('https://user:pw@customer-api.open-meteo.com:8443/v1/forecast?apikey=secret#x'))).toBe(
      'customer-api.open-meteo.com:8443/v1/forecast',
    );
  });
});

describe('classifyTransportError', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it.each([
    [withCode('getaddrinfo ENOTFOUND api.open-meteo.com', 'ENOTFOUND'), 'network', 'network.proxy'],
    [new Error('fetch failed', { cause: withCode('unable to get local issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') }), 'network', 'network.ca_file'],
    [new Error('fetch failed', { cause: withCode('unable to get issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT') }), 'network', 'network.ca_file'],
    [withCode('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT'), 'timeout', 'timed out'],
    [new Error('something odd'), 'network', 'something odd'],
  ] as const)('classifies %s', (error, kind, text) => {
    const classified = classifyTransportError(error, 'api.open-meteo.com/v1/forecast', identity);
    expect(classified).toMatchObject({ kind });
    expect(classified.message).toContain(text);
    expect(classified.cause).toBe(error);
  });

  it('scrubs text taken from the underlying error', () => {
    const error = new Error('bad thing at /v1/forecast?apikey=key-123456');
    const scrub = (t: string) => t.replace(/\?\S*/, '');
    expect(classifyTransportError(error, 'h/p', scrub).message).not.toContain('key-123456');
  });
});

describe('getWithDeadline', () => {
  let server: Server | undefined;
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<URL> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/forecast?apikey=key-123456`);
  }

  it('covers the body too: headers sent, then the body stalls -> timeout', async () => {
    let bodyStarted = false;
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"latitude":', () => (bodyStarted = true));
    });
    // The deadline runs on a manual clock, let out only once the headers and part of the body are on their way.
    const clock = createManualClock(0);
    const started = Date.now();
    const attempt = getWithDeadline(url, { dispatcher, timeoutMs: 1000, endpoint: describeEndpoint(url), scrub: identity, clock });
    attempt.catch(() => undefined); // rejects while the clock is advanced; asserted below
    while (!bodyStarted) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.advance(1000);
    await expect(attempt).rejects.toBeInstanceOf(SourceError);
    await expect(attempt).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('returns status, headers, text and duration for any status', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(503, { 'retry-after': '7' });
      res.end('{"error":true,"reason":"The service is overloaded"}');
    });
    const reply = await getWithDeadline(url, { dispatcher, timeoutMs: 5000, endpoint: 'x', scrub: identity });
    expect(reply).toMatchObject({ status: 503, text: '{"error":true,"reason":"The service is overloaded"}' });
    expect(reply.headers['retry-after']).toBe('7');
    expect(reply.ms).toBeGreaterThanOrEqual(0);
  });
});
