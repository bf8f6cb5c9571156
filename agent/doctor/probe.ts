// One HEAD request to an endpoint's origin through the same network stack the agent uses (proxy,
// NO_PROXY, network.ca_file): proves DNS + TCP + TLS (+ the proxy tunnel) work end to end, and
// reads the server's `Date` header for the clock check. Any HTTP answer counts as reachable (S3
// answers an unsigned HEAD with 403/405; that is fine). Used by doctor and by the support bundle
// (with a short timeout). Never sends credentials or query strings; results name host only.
import { request, type Dispatcher } from 'undici';
import type { NetworkConfig } from '../config/types.ts';
import { isCertificateTrustError } from '../net/certificate-trust.ts';
import { createUndiciDispatcher } from '../net/index.ts';
import { AGENT_VERSION } from '../version.ts';

export type ProbeResult =
  | { reachable: true; host: string; status: number; ms: number; serverDate?: Date; offsetMs?: number; uncertaintyMs?: number }
  | { reachable: false; host: string; code: string; message: string };

/** HEAD <origin>/ within `timeoutMs`. Never throws: a bad proxy/CA setting is a failed probe. */
export async function probeEndpoint(url: string, network: NetworkConfig, timeoutMs: number): Promise<ProbeResult> {
  const target = new URL(url);
  const host = target.host;
  let dispatcher: Dispatcher | undefined;
  try {
    dispatcher = await createUndiciDispatcher(network, url);
    const sentAt = Date.now();
    const response = await request(`${target.origin}/`, {
      method: 'HEAD',
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': `datapipe-agent/${AGENT_VERSION} doctor` },
    });
    const receivedAt = Date.now();
    await response.body.dump();
    return { reachable: true, host, status: response.statusCode, ms: receivedAt - sentAt, ...readClock(response.headers.date, sentAt, receivedAt) };
  } catch (error) {
    return { reachable: false, host, code: findCode(error), message: describeFailure(error) };
  } finally {
    await dispatcher?.close().catch(() => undefined);
  }
}

/** The server's clock minus ours, from the Date header (1 s resolution) and the request's midpoint. */
function readClock(header: string | string[] | undefined, sentAt: number, receivedAt: number): { serverDate?: Date; offsetMs?: number; uncertaintyMs?: number } {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return {};
  const serverDate = new Date(text);
  if (Number.isNaN(serverDate.getTime())) return {};
  const midpoint = (sentAt + receivedAt) / 2;
  // The header is truncated to whole seconds, so the true server time is up to 1 s later.
  return { serverDate, offsetMs: Math.round(serverDate.getTime() + 500 - midpoint), uncertaintyMs: Math.round((receivedAt - sentAt) / 2 + 500) };
}

/** The first error code along the cause chain (ECONNREFUSED, ENOTFOUND, a TLS code, ...). */
export function findCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED' && code !== 'ABORT_ERR') return code;
    if (current.name === 'TimeoutError') return 'ETIMEDOUT';
    current = current.cause;
  }
  if (error instanceof Error && error.name === 'TimeoutError') return 'ETIMEDOUT';
  if (error instanceof Error && error.name === 'ConfigError') return 'CONFIG';
  return 'UNKNOWN';
}

function describeFailure(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    // URLs in messages could carry query strings; keep scheme://host only.
    messages.push(current.message.replace(/(https?:\/\/[^/\s?]+)[^\s]*/g, '$1'));
    current = current.cause;
  }
  return messages.filter((text, index) => text !== '' && messages.indexOf(text) === index).join(': ') || String(error);
}

/** A sentence on what to do about a failed probe, by error code. */
export function probeFix(code: string, setting: string): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `The name does not resolve: check the server's DNS settings and ${setting}; if this server must use a proxy, set network.proxy (or HTTPS_PROXY).`;
  if (code === 'ECONNREFUSED') return `Nothing accepts connections there: check ${setting}, network.proxy and the firewall.`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return 'No answer in time: a firewall probably drops the traffic; ask the network team to allow HTTPS (443) to this host, or set network.proxy.';
  if (isCertificateTrustError(code)) return 'The TLS certificate is not trusted: if a corporate proxy inspects HTTPS, set network.ca_file to a PEM file with its root CA; otherwise check the system clock and the endpoint URL.';
  if (code === 'CONFIG') return 'Fix network.proxy / network.ca_file (or the HTTPS_PROXY / HTTP_PROXY variables) as the message says.';
  return `Check ${setting}, network.proxy and the firewall.`;
}
