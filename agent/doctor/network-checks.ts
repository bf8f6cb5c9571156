// Doctor's network checks, per endpoint (Open-Meteo and S3): which proxy is used and whether it
// accepts connections, whether the host name resolves, and whether an HTTPS request gets through
// (TCP, TLS with network.ca_file, the proxy tunnel). Plus network.ca_file itself.
import { lookup } from 'node:dns/promises';
import { isIP, connect } from 'node:net';
import type { NetworkConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { describeProxy, prepareProxy, readCaFile, resolveProxy } from '../net/index.ts';
import { findCode, probeFix, type ProbeResult } from './probe.ts';
import { fail, pass, skip, type CheckResult } from './types.ts';

export interface Endpoint {
  /** open-meteo or s3: the prefix of the check ids. */
  id: string;
  label: string;
  url: string;
  /** The config key that sets the URL, for fixes. */
  setting: string;
}

const TCP_TIMEOUT_MS = 5_000;
const DNS_TIMEOUT_MS = 5_000;

/** Which proxy the endpoint uses; FAIL when the proxy URL is unusable or refuses connections. */
export async function checkProxy(endpoint: Endpoint, network: NetworkConfig): Promise<CheckResult> {
  const id = `${endpoint.id}.proxy`;
  const title = `${endpoint.label}: proxy`;
  let proxyUri: string | undefined;
  try {
    proxyUri = prepareProxy(endpoint.url, network)?.uri;
  } catch (error) {
    const problem = error instanceof ConfigError ? (error.problems[0]?.message ?? error.message) : String(error);
    return fail(id, title, `The proxy setting is unusable: ${problem}.`, 'Fix network.proxy in config.ini (or the HTTPS_PROXY / HTTP_PROXY variable of the service).');
  }
  const shown = describeProxy(resolveProxy(endpoint.url, network));
  if (proxyUri === undefined) return pass(id, title, 'direct connection (no proxy applies; NO_PROXY and proxy settings considered)');
  const proxy = new URL(proxyUri);
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  const refused = await tryTcp(proxy.hostname, port);
  if (refused) {
    return fail(id, title, `via ${shown}, but the proxy does not accept connections (${refused}).`, 'Check the proxy host and port in network.proxy (or HTTPS_PROXY), and that this server may reach the proxy.');
  }
  return pass(id, title, `via ${shown} (accepts connections)`);
}

/** Does the endpoint's host name resolve here? Through a proxy only the proxy needs it: WARN. */
export async function checkDns(endpoint: Endpoint, network: NetworkConfig): Promise<CheckResult> {
  const id = `${endpoint.id}.dns`;
  const title = `${endpoint.label}: DNS`;
  const hostname = new URL(endpoint.url).hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(hostname) !== 0) return pass(id, title, `${hostname} is an IP address; no DNS lookup needed`);
  const proxied = safeResolveProxy(endpoint.url, network) !== undefined;
  try {
    const addresses = await withTimeout(lookup(hostname, { all: true }), DNS_TIMEOUT_MS);
    return pass(id, title, `${hostname} resolves to ${addresses.map((a) => a.address).slice(0, 4).join(', ')}`);
  } catch (error) {
    const code = findCode(error);
    if (proxied) return pass(id, title, `${hostname} does not resolve here (${code}); fine, the proxy resolves it`);
    return fail(id, title, `${hostname} does not resolve (${code}).`, probeFix(code, endpoint.setting));
  }
}

/** Turns the HEAD probe into the reachability line. */
export function checkReachable(endpoint: Endpoint, probe: ProbeResult): CheckResult {
  const id = `${endpoint.id}.connect`;
  const title = `${endpoint.label}: connection${endpoint.url.startsWith('https:') ? ' (TLS)' : ''}`;
  if (probe.reachable) return pass(id, title, `${probe.host} answered HTTP ${probe.status} in ${probe.ms} ms`);
  return fail(id, title, `could not reach ${probe.host}: ${probe.code}: ${probe.message}`, probeFix(probe.code, endpoint.setting));
}

/** network.ca_file: readable PEM with at least one certificate (none set: Node's default roots). */
export async function checkCaFile(network: NetworkConfig): Promise<CheckResult> {
  const title = 'Extra CA certificates (network.ca_file)';
  if (network.caFile === undefined) return skip('network.ca_file', title, 'not set; the system default trusted roots are used');
  try {
    const certificates = await readCaFile(network.caFile);
    return pass('network.ca_file', title, `${network.caFile}: ${certificates.length} certificate(s), trusted in addition to the default roots`);
  } catch (error) {
    const problem = error instanceof ConfigError ? (error.problems[0]?.message ?? error.message) : String(error);
    return fail('network.ca_file', title, `${network.caFile}: ${problem}`, 'Export the proxy\'s root CA certificate as PEM (Base-64) to that path, or remove ca_file.');
  }
}

function safeResolveProxy(url: string, network: NetworkConfig): string | undefined {
  try {
    return resolveProxy(url, network);
  } catch {
    return undefined;
  }
}

/** null when a TCP connection to host:port opened, else the error code. */
function tryTcp(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[(.*)\]$/, '$1'), port });
    const done = (result: string | null) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(TCP_TIMEOUT_MS, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
