// The NodeHttpHandler the S3 client sends its requests through (pass it as `requestHandler`).
// Built once at start-up for the endpoint the client calls; destroy() it on shutdown.
// Through a proxy, https-proxy-agent tunnels https endpoints with CONNECT and http-proxy-agent
// forwards plain-http endpoints (a local S3-compatible server) as absolute-URI requests. Both
// agents keep connections alive; network.ca_file applies to the endpoint's TLS session inside the
// tunnel and to an https:// proxy itself.
// In sinks/s3/ because it is built on the SDK's @smithy/node-http-handler (only sinks/s3 loads the
// SDK); the proxy decision and the CA file it applies are net/'s (net/proxy.ts, net/ca-file.ts).
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { NetworkConfig } from '../../config/types.ts';
import { loadTrustedCertificates } from '../../net/ca-file.ts';
import { prepareProxy, type PreparedProxy } from '../../net/proxy.ts';

export interface NodeHttpHandlerTimeouts {
  /** Whole request and response; the request fails with a TimeoutError when exceeded. */
  requestTimeoutMs: number;
  /** TCP (and proxy) connection set-up. */
  connectionTimeoutMs: number;
}

/**
 * A NodeHttpHandler for requests to `endpointUrl`'s host (for AWS S3 pass the host the client
 * really calls, e.g. https://<bucket>.s3.<region>.amazonaws.com, so NO_PROXY matches it). Throws a
 * ConfigError when network.ca_file or the proxy URL is unusable.
 */
export async function createNodeHttpHandler(
  network: NetworkConfig,
  endpointUrl: string,
  options: NodeHttpHandlerTimeouts,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NodeHttpHandler> {
  const ca = await loadTrustedCertificates(network.caFile);
  const agentOptions: https.AgentOptions = { keepAlive: true, ...(ca === undefined ? {} : { ca }) };
  // Each scheme gets its own decision, so an http:// and an https:// endpoint on the same host
  // follow HTTP_PROXY and HTTPS_PROXY respectively.
  const httpProxy = prepareProxy(withProtocol(endpointUrl, 'http:'), network, env);
  const httpsProxy = prepareProxy(withProtocol(endpointUrl, 'https:'), network, env);
  return new NodeHttpHandler({
    httpAgent: httpProxy ? new HttpProxyAgent(httpProxy.uri, proxyAgentOptions(agentOptions, httpProxy)) : new http.Agent(agentOptions),
    httpsAgent: httpsProxy ? new HttpsEndpointProxyAgent(httpsProxy.uri, proxyAgentOptions(agentOptions, httpsProxy), ca) : new https.Agent(agentOptions),
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.connectionTimeoutMs,
    // Without it the SDK only logs a warning when requestTimeout passes and keeps waiting.
    throwOnRequestTimeout: true,
  });
}

/**
 * The NodeHttpHandler hands this agent https requests only. Two fixes over HttpsProxyAgent:
 * - it uses its options for the connection to the proxy only; the TLS session with the endpoint
 *   inside the tunnel gets the per-request options, which carry no `ca`. Adding it there makes
 *   network.ca_file apply to the endpoint too (a TLS-inspecting proxy re-signs it).
 * - agent-base guesses http vs https from the call stack when the request has no `protocol` (the
 *   SDK sets none) and guesses differently when parking a socket, so kept-alive tunnels were
 *   never reused (one CONNECT and TLS handshake per request). Every request here is https.
 */
class HttpsEndpointProxyAgent extends HttpsProxyAgent<string> {
  readonly #ca: string[] | undefined;
  constructor(proxyUri: string, options: ConstructorParameters<typeof HttpsProxyAgent<string>>[1], ca: string[] | undefined) {
    super(proxyUri, options);
    this.#ca = ca;
  }
  override isSecureEndpoint(): boolean {
    return true;
  }
  override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgent<string>['connect']>[1]): Promise<Socket> {
    if (this.#ca === undefined || !opts.secureEndpoint) return super.connect(req, opts);
    return super.connect(req, { ...opts, ca: this.#ca });
  }
}

function proxyAgentOptions(base: https.AgentOptions, proxy: PreparedProxy): https.AgentOptions & { headers?: http.OutgoingHttpHeaders } {
  // Credentials travel as a header, not in the URI, so the agents never hold the password in a URL.
  return proxy.authorization === undefined ? { ...base } : { ...base, headers: { 'Proxy-Authorization': proxy.authorization } };
}

/** The same host (and port, when the scheme is unchanged) under `protocol`. */
function withProtocol(endpointUrl: string, protocol: 'http:' | 'https:'): string {
  if (!URL.canParse(endpointUrl)) throw new TypeError('Cannot build the S3 HTTP handler: the endpoint is not a valid URL.');
  const url = new URL(endpointUrl);
  // URL.hostname keeps the brackets of an IPv6 literal, so it can be reused as is.
  const port = url.protocol === protocol && url.port !== '' ? `:${url.port}` : '';
  return `${protocol}//${url.hostname}${port}/`;
}
