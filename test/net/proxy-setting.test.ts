// proxy = pac+... and proxy = system: a PAC file served from 127.0.0.1 sends one host through the
// loopback proxy and another direct; the netsh parser reads recorded outputs of
// `netsh winhttp show proxy` (test/fixtures/winhttp/).
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { firstUsablePacEntry } from '../../agent/net/pac.ts';
import { expandProxySetting } from '../../agent/net/proxy-setting.ts';
import { createUndiciDispatcher } from '../../agent/net/undici-dispatcher.ts';
import { parseNetshWinHttpProxy, winHttpProxyFor } from '../../agent/net/winhttp-proxy.ts';
import { startTargetServer, startTestProxy } from '../helpers/proxy.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const WINHTTP = join(import.meta.dirname, '..', 'fixtures', 'winhttp');
const cleanups: (() => Promise<unknown>)[] = [];
const tempDir = useTempDirs();
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pacScript(proxyUrl: string): string {
  return `function FindProxyForURL(url, host) {\n  if (dnsDomainIs(host, "localhost")) return "PROXY ${new URL(proxyUrl).host}; DIRECT";\n  return "DIRECT";\n}\n`;
}

async function servePac(script: string): Promise<string> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-ns-proxy-autoconfig' }).end(script);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxy.pac`;
}

async function get(url: string, dispatcher: Dispatcher): Promise<string> {
  const response = await request(url, { dispatcher });
  return response.body.text();
}

describe('proxy = pac+...', () => {
  it.each(['http', 'file'])('a PAC file (pac+%s) sends localhost through the proxy and 127.0.0.1 direct', async (kind) => {
    const proxy = await startTestProxy();
    const server = await startTargetServer();
    cleanups.push(() => proxy.close(), () => server.close());
    const port = new URL(server.url).port;
    const viaProxy = `http://localhost:${port}/v1/forecast`;
    const direct = `http://127.0.0.1:${port}/direct`;
    let location: string;
    if (kind === 'http') location = await servePac(pacScript(proxy.url));
    else {
      const file = join(await tempDir(), 'proxy.pac');
      await writeFile(file, pacScript(proxy.url));
      location = pathToFileURL(file).href;
    }
    const expanded = await expandProxySetting({ proxy: `pac+${location}` }, [viaProxy, direct]);
    expect(expanded.warnings).toEqual([]);
    expect(expanded.networks.map((network) => network.proxy)).toEqual([`http://${new URL(proxy.url).host}`, 'direct']);

    const [proxied, straight] = await Promise.all(expanded.networks.map((network, index) => createUndiciDispatcher(network, [viaProxy, direct][index]!, { HTTP_PROXY: 'http://127.0.0.1:9' })));
    cleanups.push(() => proxied!.close(), () => straight!.close());
    expect(await get(viaProxy, proxied!)).toBe('hello /v1/forecast');
    expect(await get(direct, straight!)).toBe('hello /direct');
    // Only the localhost request went through the proxy; DIRECT overrides HTTP_PROXY too.
    expect(proxy.requests).toEqual([{ method: 'GET', target: viaProxy, authorized: true }]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/forecast', '/direct']);
  });

  it('goes direct with a warning naming the PAC location when it cannot be fetched', async () => {
    const expanded = await expandProxySetting({ proxy: 'pac+http://127.0.0.1:9/proxy.pac' }, ['https://api.open-meteo.com/v1/forecast']);
    expect(expanded.networks[0]!.proxy).toBe('direct');
    expect(expanded.warnings[0]).toMatch(/^The PAC file could not be used \(.+\); connecting directly\. Check that 127\.0\.0\.1:9\/proxy\.pac is reachable/);
  });

  it('goes direct with a warning when the PAC script throws', async () => {
    const location = await servePac('function FindProxyForURL(url, host) { throw new Error("broken pac"); }');
    const expanded = await expandProxySetting({ proxy: `pac+${location}` }, ['https://api.open-meteo.com/v1/forecast']);
    expect(expanded.networks[0]!.proxy).toBe('direct');
    expect(expanded.warnings[0]).toContain('broken pac');
  });

  it.each([
    ['PROXY proxy.corp:8080; DIRECT', 'http://proxy.corp:8080'],
    ['DIRECT', 'DIRECT'],
    ['SOCKS5 socks.corp:1080; HTTPS secure.corp:443', 'https://secure.corp:443'],
    ['SOCKS socks.corp:1080', undefined],
    ['', undefined],
  ])('takes the first usable entry of %j', (answer, expected) => {
    expect(firstUsablePacEntry(answer)).toBe(expected);
  });
});

describe('proxy = system (netsh winhttp show proxy)', () => {
  it.each([
    ['direct.txt', { kind: 'direct' }],
    ['german-direct.txt', { kind: 'direct' }],
    ['proxy-bypass.txt', { kind: 'proxy', servers: 'proxy.corp.example:8080', bypass: ['*.corp.example', '<local>', '10.*'] }],
    ['per-scheme.txt', { kind: 'proxy', servers: 'http=web-proxy.corp.example:3128;https=secure-proxy.corp.example:3129', bypass: [] }],
    ['german.txt', { kind: 'proxy', servers: 'proxy.firma.example:8080', bypass: [] }],
  ])('parses %s', async (file, expected) => {
    expect(parseNetshWinHttpProxy(await readFile(join(WINHTTP, file), 'utf8'))).toEqual(expected);
  });

  it('refuses output it does not understand', () => {
    expect(parseNetshWinHttpProxy('The following command was not found: winhttp show proxy.')).toBeUndefined();
  });

  it('applies the bypass list (<local>, wildcards) and per-scheme servers', async () => {
    const bypass = parseNetshWinHttpProxy(await readFile(join(WINHTTP, 'proxy-bypass.txt'), 'utf8'))!;
    expect(winHttpProxyFor(bypass, 'https://api.open-meteo.com/v1/forecast')).toBe('http://proxy.corp.example:8080');
    expect(winHttpProxyFor(bypass, 'https://s3.corp.example/')).toBeUndefined();
    expect(winHttpProxyFor(bypass, 'http://minio:9000/')).toBeUndefined();
    expect(winHttpProxyFor(bypass, 'http://10.1.2.3:9000/')).toBeUndefined();
    const perScheme = parseNetshWinHttpProxy(await readFile(join(WINHTTP, 'per-scheme.txt'), 'utf8'))!;
    expect(winHttpProxyFor(perScheme, 'https://s3.eu-north-1.amazonaws.com/')).toBe('http://secure-proxy.corp.example:3129');
    expect(winHttpProxyFor(perScheme, 'http://api.open-meteo.com/')).toBe('http://web-proxy.corp.example:3128');
  });

  it('expands to the WinHTTP proxy per target, and says so when netsh fails or is not on Windows', async () => {
    const sample = await readFile(join(WINHTTP, 'proxy-bypass.txt'), 'utf8');
    const expanded = await expandProxySetting({ proxy: 'system' }, ['https://api.open-meteo.com/v1/forecast', 'https://s3.corp.example/'], { readWinHttp: async () => sample });
    expect(expanded.networks.map((network) => network.proxy)).toEqual(['http://proxy.corp.example:8080', 'direct']);
    expect(expanded.warnings).toEqual([]);
    const failed = await expandProxySetting({ proxy: 'system' }, ['https://api.open-meteo.com/'], { readWinHttp: async () => Promise.reject(new Error('spawn netsh ENOENT')) });
    expect(failed.networks[0]!.proxy).toBe('direct');
    expect(failed.warnings[0]).toMatch(/^network\.proxy = system: running netsh winhttp show proxy failed \(spawn netsh ENOENT\); connecting directly\. Set \[network\] proxy = http:\/\/host:port/);
    const linux = await expandProxySetting({ proxy: 'system' }, ['https://api.open-meteo.com/'], { platform: 'linux' });
    expect(linux.warnings[0]).toContain('the WinHTTP proxy exists only on Windows');
  });
});
