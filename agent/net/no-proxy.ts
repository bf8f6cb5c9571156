// NO_PROXY matching: which target hosts skip the proxy. The value comes from the environment
// (NO_PROXY or no_proxy) and exempts hosts from the config proxy as well as from HTTPS_PROXY /
// HTTP_PROXY. proxy-from-env is not used because it reads process.env only and matches a plain
// `example.com` entry against that exact host, where curl (what technicians test with) also
// exempts its subdomains.
//
// Semantics (curl-compatible, plus CIDR ranges as in curl >= 7.86 and Go):
//   - entries are separated by commas and/or whitespace; case-insensitive; empty entries ignored
//   - `*` alone exempts every host
//   - `example.com`, `.example.com` and `*.example.com` all exempt example.com and every
//     subdomain (a.example.com), but not notexample.com
//   - `host:port` exempts that host on that port only; without a port every port matches
//   - IP literals match exactly (`10.1.2.3`, `::1`, `[::1]`, `[::1]:8443`); `10.0.0.0/8` and
//     `fd00::/8` match any address in the range. Host names are never resolved to addresses.
import { BlockList, isIP } from 'node:net';

interface NoProxyEntry {
  /** Lower-case host name or IP literal without brackets; undefined for a CIDR range. */
  host?: string;
  range?: BlockList;
  port?: number;
}

/** True when `hostname` (as in URL.hostname; brackets allowed) on `port` must be reached directly. */
export function isExemptFromProxy(hostname: string, port: number, noProxy: string | undefined): boolean {
  const entries = (noProxy ?? '').toLowerCase().split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.includes('*')) return true;
  const host = normaliseHost(hostname);
  return entries.some((text) => {
    const entry = parseEntry(text);
    return entry !== undefined && matchesEntry(entry, host, port);
  });
}

function normaliseHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function parseEntry(text: string): NoProxyEntry | undefined {
  const cidr = parseCidr(text);
  if (cidr) return { range: cidr };
  const { host, port } = splitHostPort(text);
  const name = normaliseHost(host).replace(/^\*?\./, '');
  if (name === '') return undefined;
  return port === undefined ? { host: name } : { host: name, port };
}

/** `[::1]:8080`, `[::1]`, `::1`, `host:8080`, `host`. A bare IPv6 address has no port. */
function splitHostPort(text: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1] ?? '', bracketed[2]);
  if (isIP(text) === 6) return { host: text };
  const hostPort = /^(.+):(\d+)$/.exec(text);
  if (hostPort) return withPort(hostPort[1] ?? '', hostPort[2]);
  return { host: text };
}

function withPort(host: string, port: string | undefined): { host: string; port?: number } {
  return port === undefined ? { host } : { host, port: Number(port) };
}

function parseCidr(text: string): BlockList | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const address = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const family = isIP(address);
  const prefix = Number(match[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

function matchesEntry(entry: NoProxyEntry, host: string, port: number): boolean {
  if (entry.port !== undefined && entry.port !== port) return false;
  const family = isIP(host);
  if (entry.range) return family !== 0 && entry.range.check(host, family === 4 ? 'ipv4' : 'ipv6');
  if (entry.host === undefined) return false;
  if (family !== 0 || isIP(entry.host) !== 0) return sameAddress(entry.host, host);
  return host === entry.host || host.endsWith(`.${entry.host}`);
}

/** Compares IP literals in canonical form, so `::0001` matches `::1`. */
function sameAddress(a: string, b: string): boolean {
  const familyA = isIP(a);
  if (familyA === 0 || familyA !== isIP(b)) return a === b;
  const list = new BlockList();
  list.addAddress(a, familyA === 4 ? 'ipv4' : 'ipv6');
  return list.check(b, familyA === 4 ? 'ipv4' : 'ipv6');
}
