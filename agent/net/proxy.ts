// The one proxy decision both outbound clients (undici for Open-Meteo, the AWS SDK's
// NodeHttpHandler for S3) share. Built once per client at start-up, never per request.
//
// Precedence for a target URL:
//   1. NO_PROXY / no_proxy (environment) exempts the host: direct connection, whatever else is set
//      (see no-proxy.ts for the matching rules).
//   2. network.proxy from config.ini, for http and https targets alike; `direct` means no proxy.
//      `system` and `pac+...` are indirect: proxy-setting.ts turns them into a URL or `direct`
//      per target before the clients are built.
//   3. https targets: https_proxy, then HTTPS_PROXY; http targets: http_proxy, then HTTP_PROXY
//      (curl's rules: an https target never falls back to HTTP_PROXY). Empty values count as unset.
//   4. Otherwise direct.
// A proxy value without a scheme (`proxy.corp:8080`) means http://. Only http:// and https://
// proxies are supported. Credentials in the URL (`http://user:pass@proxy:8080`) are sent as Basic
// proxy authorization; the password is registered with the logger's redaction and never printed:
// use describeProxy() for logs and status.
import { ConfigError } from '../errors.ts';
import { registerSecret } from '../log/redact.ts';
import type { NetworkConfig } from '../config/types.ts';
import { isExemptFromProxy } from './no-proxy.ts';

/** What an HTTP 407 from the proxy means, on the Open-Meteo and the S3 path alike. */
export const PROXY_AUTH_HINT =
  'The proxy wants credentials: put them in network.proxy (http://user:password@host:port). A proxy that accepts only Windows logins (NTLM/Kerberos) is not supported: ask IT for a proxy account with Basic authentication, or to let this server through without a login (IP allow-list).';

/** A proxy ready to hand to a client: the URL without credentials plus the header they become. */
export interface PreparedProxy {
  /** scheme://host:port/ with no user or password. */
  uri: string;
  /** `Basic <base64>` when the proxy URL carried credentials. */
  authorization?: string;
  /** For logs and status; see describeProxy. */
  display: string;
}

interface ProxyChoice {
  url: string;
  /** Where the value came from, for error messages: `network.proxy` or the variable's name. */
  setting: string;
}

/** The proxy URL to use for `targetUrl`, or undefined for a direct connection. */
export function resolveProxy(targetUrl: string, network: NetworkConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return chooseProxy(targetUrl, network, env)?.url;
}

/**
 * resolveProxy, validated and split for a client. Throws a ConfigError naming the setting
 * (network.proxy or the environment variable) when the chosen proxy URL is unusable.
 */
export function prepareProxy(targetUrl: string, network: NetworkConfig, env: NodeJS.ProcessEnv = process.env): PreparedProxy | undefined {
  const choice = chooseProxy(targetUrl, network, env);
  if (!choice) return undefined;
  const indirect = /^(system$|pac\+)/i.test(choice.url);
  const problem = indirect ? 'is an indirect setting (system or pac+...) that was not resolved for this connection (a bug: please report it)' : proxyUrlProblem(choice.url);
  if (problem !== undefined) {
    const file = choice.setting === 'network.proxy' ? 'config.ini' : 'environment';
    throw new ConfigError([{ severity: 'error', file, where: choice.setting, message: problem }]);
  }
  const url = new URL(choice.url);
  const authorization = basicAuthorization(url);
  url.username = '';
  url.password = '';
  const prepared: PreparedProxy = { uri: url.href, display: describeProxy(choice.url) };
  if (authorization !== undefined) prepared.authorization = authorization;
  return prepared;
}

/** For logs/status: the proxy URL without user:password (`direct` when there is no proxy). */
export function describeProxy(proxyUrl: string | undefined): string {
  if (proxyUrl === undefined || proxyUrl.trim() === '' || proxyUrl.trim().toLowerCase() === 'direct') return 'direct';
  if (proxyUrl.trim().toLowerCase() === 'system') return 'system (the WinHTTP proxy)';
  const pac = /^pac\+/i.test(proxyUrl.trim()) ? URL.parse(proxyUrl.trim().slice(4)) : undefined;
  if (pac) return `PAC file ${pac.protocol === 'file:' ? pac.pathname : `${pac.protocol}//${pac.host}${pac.pathname}`}`;
  let url: URL;
  try {
    url = new URL(withScheme(proxyUrl));
  } catch {
    return 'invalid proxy URL';
  }
  const credentials = url.username !== '' || url.password !== '' ? '**REDACTED**@' : '';
  return `${url.protocol}//${credentials}${url.host}`;
}

/**
 * What is wrong with a proxy URL, or undefined when it is usable: the one check, for the clients
 * and for config validation (config/fields.ts, which sets `requireScheme`: in config.ini a missing
 * http:// is more often a typo than a choice, while HTTPS_PROXY=proxy:8080 is common). The message
 * shows the value only through describeProxy, without user or password.
 */
export function proxyUrlProblem(proxyUrl: string, options: { requireScheme?: boolean } = {}): string | undefined {
  const expected = 'expected http://host:port or http://user:password@host:port';
  if (options.requireScheme && !/^[a-z][a-z0-9+.-]*:\/\//i.test(proxyUrl.trim())) return `is not a URL (is http:// missing in front?); ${expected}`;
  let url: URL;
  try {
    url = new URL(withScheme(proxyUrl));
  } catch {
    return `is not a valid URL; ${expected} (percent-encode special characters in the password)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `uses the unsupported scheme "${url.protocol}": '${describeProxy(proxyUrl)}' is not an http:// or https:// proxy; ${expected}`;
  }
  if (url.hostname === '') return `has no host name; ${expected}`;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return 'must not have a path, query or fragment; expected http://host:port';
  }
  return undefined;
}

function chooseProxy(targetUrl: string, network: NetworkConfig, env: NodeJS.ProcessEnv): ProxyChoice | undefined {
  const target = parseTarget(targetUrl);
  const noProxy = readEnv(env, 'no_proxy');
  if (isExemptFromProxy(target.hostname, target.port, noProxy?.value)) return undefined;
  const configured = network.proxy?.trim();
  if (configured?.toLowerCase() === 'direct') return undefined;
  // Not expanded (proxy-setting.ts): reported as it is; prepareProxy refuses it.
  if (configured && (configured.toLowerCase() === 'system' || /^pac\+/i.test(configured))) return { url: configured, setting: 'network.proxy' };
  if (configured) return { url: withScheme(configured), setting: 'network.proxy' };
  const fromEnv = readEnv(env, target.https ? 'https_proxy' : 'http_proxy');
  return fromEnv ? { url: withScheme(fromEnv.value), setting: fromEnv.name } : undefined;
}

function parseTarget(targetUrl: string): { hostname: string; port: number; https: boolean } {
  let url: URL;
  try {
    url = new URL(targetUrl);
  } catch (error) {
    // The message leaves the URL out: it may carry an api key in its query string.
    throw new TypeError('Cannot choose a proxy: the target is not a valid URL.', { cause: error });
  }
  const https = url.protocol === 'https:';
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  return { hostname: url.hostname, port, https };
}

/** Lower-case name first, as curl does; an empty value counts as unset. */
function readEnv(env: NodeJS.ProcessEnv, lowerName: string): { name: string; value: string } | undefined {
  for (const name of [lowerName, lowerName.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function withScheme(proxyUrl: string): string {
  const trimmed = proxyUrl.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

function basicAuthorization(url: URL): string | undefined {
  const credentials = proxyCredentials(url);
  if (credentials === undefined) return undefined;
  for (const secret of credentials.secrets) registerSecret(secret);
  return `Basic ${credentials.token}`;
}

/** The Basic token a proxy URL's user:password become, and the forms of the password (as written
 *  and decoded, and that token) that must never be shown. One derivation for the clients'
 *  redaction and the support bundle's scrubber (support/mask.ts). */
function proxyCredentials(url: URL): { token: string; secrets: string[] } | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  const token = Buffer.from(`${user}:${password}`).toString('base64');
  return { token, secrets: url.password === '' ? [] : [url.password, password, token] };
}

/** proxyCredentials' secrets for a proxy setting as written (no scheme means http://). */
export function proxySecrets(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return [];
  try {
    return proxyCredentials(new URL(withScheme(proxyUrl)))?.secrets ?? [];
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
