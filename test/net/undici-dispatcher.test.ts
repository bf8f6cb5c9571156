import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { request, type Dispatcher } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkConfig } from '../../agent/config/types.ts';
import { ConfigError } from '../../agent/errors.ts';
import { createUndiciDispatcher } from '../../agent/net/undici-dispatcher.ts';
import { startTargetServer, startTestProxy, type TargetServer, type TestProxy } from '../helpers/proxy.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'tls');
const CA_FILE = join(FIXTURES, 'ca.crt');
const PASSWORD = 'Undici-Pr0xy-pass';
const CERT_ERROR = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify the first certificate/;

let serverTls: { key: Buffer; cert: Buffer };
const cleanups: (() => Promise<unknown>)[] = [];

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
async function dispatcherFor(network: NetworkConfig, url: string, env: NodeJS.ProcessEnv = {}): Promise<Dispatcher> {
  const dispatcher = await createUndiciDispatcher(network, url, env);
  cleanups.push(() => dispatcher.destroy());
  return dispatcher;
}
async function get(url: string, dispatcher: Dispatcher): Promise<{ status: number; body: string }> {
  const response = await request(url, { dispatcher, headersTimeout: 20_000, bodyTimeout: 20_000 });
  return { status: response.statusCode, body: await response.body.text() };
}
/** The error text plus its whole cause chain, as it could end up in a log. */
async function failureText(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return `${String(error)} ${inspect(error, { depth: 8 })}`;
}

describe('createUndiciDispatcher through a proxy', () => {
  it('forwards a plain-http request as an absolute URI', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(false)]);
    const dispatcher = await dispatcherFor({ proxy: proxy.url }, server.url);
    await expect(get(`${server.url}/v1/forecast?latitude=1`, dispatcher)).resolves.toEqual({ status: 200, body: 'hello /v1/forecast?latitude=1' });
    expect(proxy.requests).toEqual([{ method: 'GET', target: `${server.url}/v1/forecast?latitude=1`, authorized: true }]);
    expect(server.requests).toHaveLength(1);
  });

  it('tunnels https with CONNECT, trusts network.ca_file inside the tunnel and reuses tunnels', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const dispatcher = await dispatcherFor({ proxy: proxy.url, caFile: CA_FILE }, server.url);
    await expect(get(`${server.url}/secure`, dispatcher)).resolves.toEqual({ status: 200, body: 'hello /secure' });
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: new URL(server.url).host, authorized: true }]);
    for (const path of ['/b', '/c', '/d']) await expect(get(`${server.url}${path}`, dispatcher)).resolves.toMatchObject({ status: 200 });
    // undici may open a second connection while the first is being released; it must not open one per request.
    expect(server.requests).toHaveLength(4);
    expect(proxy.requests.length).toBeLessThan(4);
    expect(proxy.requests.every((r) => r.method === 'CONNECT')).toBe(true);
  });

  it('fails with a certificate error without network.ca_file', async () => {
    const [proxy, server] = await Promise.all([proxyServer(), target(true)]);
    const dispatcher = await dispatcherFor({ proxy: proxy.url }, server.url);
    expect(await failureText(get(`${server.url}/secure`, dispatcher))).toMatch(CERT_ERROR);
    expect(proxy.requests.map((r) => r.method)).toContain('CONNECT');
    expect(server.requests).toHaveLength(0);
  });

  it('uses HTTPS_PROXY from the environment, and the config proxy over it', async () => {
    const [configProxy, envProxy, server] = await Promise.all([proxyServer(), proxyServer(), target(true)]);
    const env = { HTTPS_PROXY: envProxy.url };
    const viaEnv = await dispatcherFor({ caFile: CA_FILE }, server.url, env);
    await expect(get(`${server.url}/a`, viaEnv)).resolves.toMatchObject({ status: 200 });
    expect(envProxy.requests).toHaveLength(1);

    const viaConfig = await dispatcherFor({ proxy: configProxy.url, caFile: CA_FILE }, server.url, env);
    await expect(get(`${server.url}/b`, viaConfig)).resolves.toMatchObject({ status: 200 });
    expect(configProxy.requests).toHaveLength(1);
    expect(envProxy.requests).toHaveLength(1);
  });

  it('talks to an https:// proxy it trusts through network.ca_file', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ tls: serverTls }), target(true), target(false)]);
    const network = { proxy: proxy.url, caFile: CA_FILE };
    expect(proxy.url).toMatch(/^https:/);
    await expect(get(`${secure.url}/s`, await dispatcherFor(network, secure.url))).resolves.toMatchObject({ status: 200 });
    await expect(get(`${plain.url}/p`, await dispatcherFor(network, plain.url))).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT', 'GET']);
  });

  it('goes direct when NO_PROXY matches the target', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer(), target(true), target(false)]);
    const env = { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' };
    const secureDispatcher = await dispatcherFor({ proxy: proxy.url, caFile: CA_FILE }, secure.url, env);
    const plainDispatcher = await dispatcherFor({}, plain.url, env);
    await expect(get(`${secure.url}/direct`, secureDispatcher)).resolves.toEqual({ status: 200, body: 'hello /direct' });
    await expect(get(`${plain.url}/direct`, plainDispatcher)).resolves.toEqual({ status: 200, body: 'hello /direct' });
    expect(proxy.requests).toEqual([]);
    expect(secure.requests).toHaveLength(1);
    expect(plain.requests).toHaveLength(1);
  });

  it('connects directly to https with network.ca_file and fails without it', async () => {
    const server = await target(true);
    await expect(get(`${server.url}/x`, await dispatcherFor({ caFile: CA_FILE }, server.url))).resolves.toMatchObject({ status: 200 });
    expect(await failureText(get(`${server.url}/x`, await dispatcherFor({}, server.url)))).toMatch(CERT_ERROR);
  });
});

describe('createUndiciDispatcher with proxy authentication', () => {
  const requireAuth = { user: 'tech', password: PASSWORD };

  it('sends the credentials of the proxy URL on CONNECT and on forwarded requests', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ requireAuth }), target(true), target(false)]);
    const network = { proxy: proxy.url.replace('http://', `http://tech:${PASSWORD}@`), caFile: CA_FILE };
    await expect(get(`${secure.url}/s`, await dispatcherFor(network, secure.url))).resolves.toMatchObject({ status: 200 });
    await expect(get(`${plain.url}/p`, await dispatcherFor(network, plain.url))).resolves.toMatchObject({ status: 200 });
    expect(proxy.requests).toEqual([
      { method: 'CONNECT', target: new URL(secure.url).host, authorized: true },
      { method: 'GET', target: `${plain.url}/p`, authorized: true },
    ]);
    expect(plain.requests[0]?.headers['proxy-authorization']).toBeUndefined();
  });

  it('fails without credentials (407) and with a wrong password, never printing it', async () => {
    const [proxy, secure, plain] = await Promise.all([proxyServer({ requireAuth }), target(true), target(false)]);
    const noCredentials = await dispatcherFor({ proxy: proxy.url, caFile: CA_FILE }, secure.url);
    expect(await failureText(get(`${secure.url}/s`, noCredentials))).toMatch(/407/);
    expect(await failureText(get(`${plain.url}/p`, await dispatcherFor({ proxy: proxy.url }, plain.url)))).toMatch(/Proxy Authentication Required \(407\)/);

    const wrong = { proxy: proxy.url.replace('http://', 'http://tech:Wrong-Passw0rd@'), caFile: CA_FILE };
    const text = await failureText(get(`${secure.url}/s`, await dispatcherFor(wrong, secure.url)));
    expect(text).toMatch(/407/);
    expect(text).not.toContain('Wrong-Passw0rd');
    expect(proxy.requests.map((r) => r.authorized)).toEqual([false, false, false]);
    expect(secure.requests).toHaveLength(0);
    expect(plain.requests).toHaveLength(0);
  });

  it('does not print the password when the proxy is unreachable', async () => {
    const port = await closedPort();
    const server = await target(true);
    const dispatcher = await dispatcherFor({ proxy: `http://tech:${PASSWORD}@127.0.0.1:${port}`, caFile: CA_FILE }, server.url);
    const text = await failureText(get(`${server.url}/s`, dispatcher));
    expect(text).toMatch(/ECONNREFUSED/);
    expect(text).not.toContain(PASSWORD);
  });
});

describe('createUndiciDispatcher configuration errors', () => {
  it('rejects a ca_file that holds no certificate with a ConfigError naming network.ca_file', async () => {
    const attempt = createUndiciDispatcher({ caFile: join(FIXTURES, 'generate.sh') }, 'https://127.0.0.1/', {});
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/network\.ca_file: the file contains no certificate/);
  });

  it('rejects an unsupported proxy scheme', async () => {
    await expect(createUndiciDispatcher({ proxy: 'socks5://127.0.0.1:1080' }, 'https://127.0.0.1/', {})).rejects.toThrow(/network\.proxy: uses the unsupported scheme/);
  });
});

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
