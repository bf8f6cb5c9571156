// The undici Dispatcher the Open-Meteo source sends its requests through. Built once at start-up
// for the source's URL (the proxy decision depends on the target host) and closed on shutdown.
// Through a proxy, undici tunnels https targets with CONNECT and forwards plain-http targets as
// absolute-URI requests; network.ca_file applies to the target's TLS session inside the tunnel
// and to an https:// proxy itself.
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { NetworkConfig } from '../config/types.ts';
import { loadTrustedCertificates } from './ca-file.ts';
import { prepareProxy } from './proxy.ts';

/**
 * A Dispatcher for requests to `targetUrl`'s host. Throws a ConfigError when network.ca_file or
 * the proxy URL is unusable. `env` defaults to process.env (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
 */
export async function createUndiciDispatcher(
  network: NetworkConfig,
  targetUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Dispatcher> {
  const proxy = prepareProxy(targetUrl, network, env);
  const ca = await loadTrustedCertificates(network.caFile);
  const tls = ca === undefined ? {} : { ca };
  if (!proxy) return new Agent({ connect: tls });
  const options: ProxyAgent.Options = { uri: proxy.uri, requestTls: tls, proxyTls: tls };
  // The token goes in its own option so the credentials never sit in the URI undici keeps.
  if (proxy.authorization !== undefined) options.token = proxy.authorization;
  return new ProxyAgent(options);
}
