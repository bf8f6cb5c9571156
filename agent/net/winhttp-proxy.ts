// `[network] proxy = system` on Windows: the machine's WinHTTP default proxy, the setting services
// use (set with `netsh winhttp set proxy`, shown with `netsh winhttp show proxy`; see
// https://learn.microsoft.com/en-us/windows/win32/winhttp/netsh-exe-commands and
// https://learn.microsoft.com/en-us/windows/win32/winhttp/winhttp-proxy-support ). Read once at
// start-up by running netsh; Internet Options (the per-user WinINet proxy) are not used: the
// service's account has its own, usually empty.
//
// netsh prints (English; the labels are translated on other display languages, so the parser
// keys on the layout, not the words):
//     Current WinHTTP proxy settings:
//
//         Direct access (no proxy server).
// or
//         Proxy Server(s) :  proxy.corp.example:8080          (or http=host:port;https=host:port)
//         Bypass List     :  *.corp.example;<local>           (or (none))
import { execFile } from 'node:child_process';

export type WinHttpProxy = { kind: 'direct' } | { kind: 'proxy'; servers: string; bypass: string[] };

/** Parses `netsh winhttp show proxy` output; undefined when it is neither layout above. */
export function parseNetshWinHttpProxy(output: string): WinHttpProxy | undefined {
  const fields = output.split(/\r?\n/).map((line) => /^\s*[^:]+?\s+:\s+(.*\S)\s*$/.exec(line)?.[1]).filter((value) => value !== undefined);
  // No "label : value" line: the direct-access layout is a heading plus one sentence.
  if (fields.length === 0) return output.split(/\r?\n/).filter((line) => line.trim() !== '').length === 2 ? { kind: 'direct' } : undefined;
  const servers = fields[0]!;
  const bypassText = fields[1] ?? '';
  const bypass = /^\(.*\)$/.test(bypassText) ? [] : bypassText.split(/[;,\s]+/).filter(Boolean);
  return { kind: 'proxy', servers, bypass };
}

/**
 * The proxy URL WinHTTP would use for `targetUrl`, or undefined for a direct connection.
 * `servers` is `host:port` for every scheme, or `http=host:port;https=host:port` per scheme.
 */
export function winHttpProxyFor(setting: WinHttpProxy, targetUrl: string): string | undefined {
  if (setting.kind === 'direct') return undefined;
  const target = new URL(targetUrl);
  if (isBypassed(target.hostname, setting.bypass)) return undefined;
  const scheme = target.protocol.replace(':', '');
  const entries = setting.servers.split(';').map((entry) => entry.trim()).filter(Boolean);
  const perScheme = entries.find((entry) => entry.toLowerCase().startsWith(`${scheme}=`));
  const generic = entries.find((entry) => !entry.includes('='));
  const chosen = perScheme?.slice(scheme.length + 1) ?? generic;
  if (!chosen) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`;
}

/** WinHTTP bypass entries: `<local>` = names without a dot; `*` wildcards; case-insensitive. */
function isBypassed(hostname: string, bypass: string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return bypass.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern === '<local>') return !host.includes('.') && !host.includes(':');
    const glob = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return glob.test(host);
  });
}

/** Runs `netsh winhttp show proxy` (Windows only) and returns its output. */
export function readNetshWinHttpProxy(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('netsh', ['winhttp', 'show', 'proxy'], { timeout: 10_000, windowsHide: true }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}
