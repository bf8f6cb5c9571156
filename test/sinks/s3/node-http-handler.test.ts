import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { HttpRequest } from '@smithy/protocol-http';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkConfig } from '../../../agent/config/types.ts';
import { ConfigError } from '../../../agent/errors.ts';
import { createNodeHttpHandler } from '../../../agent/sinks/s3/node-http-handler.ts';
import { describeProxy } from '../../../agent/net/proxy.ts';
import { startTargetServer, startTestProxy, type TargetServer, type TestProxy } from '../../helpers/proxy.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'tls');
const CA_FILE = join(FIXTURES, 'ca.crt');
const PASSWORD = 'Sdk-Pr0xy-pass';
const CERT_ERROR = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify the first certificate/;
const TIMEOUTS = { requestTimeoutMs: 20_000, connectionTimeoutMs: 10_000 };

let serverTls: { key: Buffer; cert: Buffer };
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  serverTls = { key: await readFile(join(FIXTURES, 'server.key')), cert: await readFile(join(FIXTURES, 'server.crt')) };
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxyServer(options?: Parameters<typeof startTestProxy>[0]): Promise<TestProxy> {
  const proxy = await startTestProxy(options);
  cleanups.push(() => proxy.close());
  return proxy;
}
async function target(secure: boolean): Promise<TargetServer> {
  const server = await startTargetServer(secure ? { tls: serverTls } : {});
  cleanups.push(() => server.close());
  return server;
}
async function handlerFor(network: NetworkConfig, url: string, env: NodeJS.ProcessEnv = {}, timeouts = TIMEOUTS): Promise<NodeHttpHandler> {
  const handler = await createNodeHttpHandler(network, url, timeouts, env);
  cleanups.push(() => handler.destroy());
  return handler;
}
/** One request the way the S3 client sends it: a smithy HttpRequest through handler.handle(). */
async function send(handler: NodeHttpHandler, url: string): Promise<{ status: number; body: string }> {
  const { protocol, hostname, port, pathname } = new URL(url);
  const request = new HttpRequest({ protocol, hostname, port: Number(port), method: 'GET', path: pathname, headers: { host: `${hostname}:${port}` } });
  const { response } = await handler.handle(request);
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as IncomingMessage) chunks.push(chunk as Buffer);
  return { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
}
async function failure(promise: Promise<unknown>): Promise<{ error: Error; text: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return { error: error as Error, text: `${String(error)} ${inspect(error, { depth: 8 })}` };
}

describe('createNodeHttpHandler through a proxy', () => {
  it('forwards plain-http requests as absolute URIs on a kept-alive connection', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(false)]);
    const handler = await handlerFor({ proxy: proxy.url }, server.url);
    await expect(send(handler, `${server.url}/bucket/one`)).resolves.toEqual({ status: 200, body: 'hello /bucket/one' });
    await expect(send(handler, `${server.url}/bucket/two`)).resolves.toEqual({ status: 200, body: 'hello /bucket/two' });
    expect(proxy.requests).toEqual([
      { method: 'GET', target: `${server.url}/bucket/one`, authorized: true },
      { method: 'GET', target: `${server.url}/bucket/two`, authorized: true },
    ]);
    expect(server.requests.map((r) => r.path)).toEqual(['/bucket/one', '/bucket/two']);
    expect(proxy.connections()).toBe(1);
  });

  it('tunnels https with CONNECT and trusts network.ca_file inside the tunnel', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const handler = await handlerFor({ proxy: proxy.url, caFile: CA_FILE }, server.url);
    await expect(send(handler, `${server.url}/bucket/key`)).resolves.toEqual({ status: 200, body: 'hello /bucket/key' });
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: new URL(server.url).host, authorized: true }]);
  });

  it('keeps the tunnel alive across requests', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const handler = await handlerFor({ proxy: proxy.url, caFile: CA_FILE }, server.url);
    for (const key of ['a', 'b', 'c']) await expect(send(handler, `${server.url}/${key}`)).resolves.toMatchObject({ status: 200 });
    expect(server.requests.map((r) => r.path)).toEqual(['/a', '/b', '/c']);
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.connections()).toBe(1);
    expect(server.connections()).toBe(1);
  });

  it('fails with a certificate error without network.ca_file', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const handler = await handlerFor({ proxy: proxy.url }, server.url);
    expect((await failure(send(handler, `${server.url}/bucket/key`))).text).toMatch(CERT_ERROR);
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT']);
    expect(server.requests).toHaveLength(0);
  });

  it('talks to an https:// proxy it trusts through network.ca_file', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ tls: serverTls }), target(true), target(false)]);
    const network = { proxy: proxy.url, caFile: CA_FILE };
    expect(proxy.url).toMatch(/^https:/);
    await expect(send(await handlerFor(network, secure.url), `${secure.url}/s`)).resolves.toMatchObject({ status: 200 });
    await expect(send(await handlerFor(network, plain.url), `${plain.url}/p`)).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT', 'GET']);
  });

  it('goes direct when NO_PROXY matches the endpoint', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer(), target(true), target(false)]);
    const env = { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.0/8' };
    await expect(send(await handlerFor({ proxy: proxy.url, caFile: CA_FILE }, secure.url, env), `${secure.url}/k`)).resolves.toMatchObject({ status: 200 });
    await expect(send(await handlerFor({}, plain.url, env), `${plain.url}/k`)).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests).toEqual([]);
    expect(secure.requests).toHaveLength(1);
    expect(plain.requests).toHaveLength(1);
  });

  it('uses HTTP_PROXY from the environment for a plain-http endpoint', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(false)]);
    await expect(send(await handlerFor({}, server.url, { HTTP_PROXY: proxy.url }), `${server.url}/k`)).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests).toEqual([{ method: 'GET', target: `${server.url}/k`, authorized: true }]);
  });

  it('connects directly with network.ca_file, keeping the connection alive', async () => {
    const server = await target(true);
    const handler = await handlerFor({ caFile: CA_FILE }, server.url);
    await expect(send(handler, `${server.url}/a`)).resolves.toMatchObject({ status: 200 });
    await expect(send(handler, `${server.url}/b`)).resolves.toMatchObject({ status: 200 });
    expect(server.connections()).toBe(1);
    expect((await failure(send(await handlerFor({}, server.url), `${server.url}/c`))).text).toMatch(CERT_ERROR);
  });
});

describe('createNodeHttpHandler with proxy authentication', () => {
  const requireAuth = { user: 'tech', password: PASSWORD };

  it('sends the credentials of the proxy URL, and never to the endpoint', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ requireAuth }), target(true), target(false)]);
    const network = { proxy: proxy.url.replace('http://', `http://tech:${PASSWORD}@`), caFile: CA_FILE };
    await expect(send(await handlerFor(network, secure.url), `${secure.url}/s`)).resolves.toMatchObject({ status: 200 });
    await expect(send(await handlerFor(network, plain.url), `${plain.url}/p`)).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests).toEqual([
      { method: 'CONNECT', target: new URL(secure.url).host, authorized: true },
      { method: 'GET', target: `${plain.url}/p`, authorized: true },
    ]);
    expect(plain.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(describeProxy(network.proxy)).not.toContain(PASSWORD);
  });

  it('gets 407 without credentials or with a wrong password, never printing it', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ requireAuth }), target(true), target(false)]);
    await expect(send(await handlerFor({ proxy: proxy.url, caFile: CA_FILE }, secure.url), `${secure.url}/s`)).resolves.toMatchObject({ status: 407 });
    await expect(send(await handlerFor({ proxy: proxy.url }, plain.url), `${plain.url}/p`)).resolves.toMatchObject({ status: 407 });
    const wrong = proxy.url.replace('http://', 'http://tech:Wrong-Passw0rd@');
    await expect(send(await handlerFor({ proxy: wrong, caFile: CA_FILE }, secure.url), `${secure.url}/s`)).resolves.toMatchObject({ status: 407 });
    expect(proxy.requests.map((r) => r.authorized)).toEqual([false, false, false]);
    expect(secure.requests).toHaveLength(0);
    expect(plain.requests).toHaveLength(0);
    expect(describeProxy(wrong)).toBe(`http://**REDACTED**@${new URL(proxy.url).host}`);
  });

  it('does not print the password when the proxy is unreachable', async () => {
    const port = await closedPort();
    const server = await target(true);
    const handler = await handlerFor({ proxy: `http://tech:${PASSWORD}@127.0.0.1:${port}`, caFile: CA_FILE }, server.url);
    const { text } = await failure(send(handler, `${server.url}/s`));
    expect(text).toMatch(/ECONNREFUSED/);
    expect(text).not.toContain(PASSWORD);
  });
});

describe('createNodeHttpHandler request timeout', () => {
  const short = { requestTimeoutMs: 500, connectionTimeoutMs: 10_000 };

  it('fails a request the endpoint never answers', async () => {
    const server = await target(false);
    const { error } = await failure(send(await handlerFor({}, server.url, {}, short), `${server.url}/hang`));
    expect(error.name).toBe('TimeoutError');
    expect(server.requests.map((r) => r.path)).toEqual(['/hang']);
  });

  it('fails a request the endpoint never answers through a CONNECT tunnel', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const handler = await handlerFor({ proxy: proxy.url, caFile: CA_FILE }, server.url, {}, short);
    const { error } = await failure(send(handler, `${server.url}/hang`));
    expect(error.name).toBe('TimeoutError');
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT']);
    expect(server.requests.map((r) => r.path)).toEqual(['/hang']);
  });
});

describe('createNodeHttpHandler connection timeout', () => {
  it('fails when the proxy accepts the connection but never answers CONNECT', async () => {
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      blackHole.close(() => resolve());
    }));
    const { port } = blackHole.address() as net.AddressInfo;
    const server = await target(true);
    const handler = await handlerFor({ proxy: `http://127.0.0.1:${port}`, caFile: CA_FILE }, server.url, {}, { requestTimeoutMs: 30_000, connectionTimeoutMs: 500 });
    const { error } = await failure(send(handler, `${server.url}/s`));
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toMatch(/did not establish a connection/);
    expect(sockets.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(0);
  });
});

describe('createNodeHttpHandler configuration errors', () => {
  it('rejects a ca_file that holds no certificate with a ConfigError naming network.ca_file', async () => {
    const attempt = createNodeHttpHandler({ caFile: join(FIXTURES, 'server.key') }, 'https://127.0.0.1/', TIMEOUTS, {});
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/network\.ca_file: the file contains no certificate/);
  });

  it('names the environment variable holding an unusable proxy', async () => {
    await expect(createNodeHttpHandler({}, 'https://127.0.0.1/', TIMEOUTS, { HTTPS_PROXY: 'ftp://proxy:21' })).rejects.toThrow(/environment: HTTPS_PROXY: uses the unsupported scheme "ftp:"/);
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
