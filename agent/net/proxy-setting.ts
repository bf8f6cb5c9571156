// Turns the two indirect `[network] proxy` values into the concrete proxy each target gets, before
// the clients are built (so undici for Open-Meteo and the SDK handler for S3 follow the same
// decision, made once at start-up; restart the service after the site's proxy changes):
//   proxy = system                  Windows: the WinHTTP default proxy (winhttp-proxy.ts)
//   proxy = pac+http://host/x.pac   a PAC file (pac.ts); also pac+https:// and pac+file:///path
// Either resolves to a plain proxy URL or to `direct` (no proxy, whatever HTTPS_PROXY says), and
// then goes through proxy.ts like a configured URL. When the setting cannot be read (netsh fails,
// the PAC server is down) the agent goes direct and says so in a warning: the start is not
// refused, and the next start tries again.
import type { NetworkConfig } from '../config/types.ts';
import { evaluatePac, firstUsablePacEntry, loadPacScript, pacLocation } from './pac.ts';
import { parseNetshWinHttpProxy, readNetshWinHttpProxy, winHttpProxyFor } from './winhttp-proxy.ts';

export interface ExpandedNetwork {
  /** One per target URL, in order: `proxy` is a URL or 'direct' when the setting was indirect. */
  networks: NetworkConfig[];
  /** Sentences for a warning log line (what could not be read and what the agent does instead). */
  warnings: string[];
  /** For the debug log and doctor: where the decision came from. */
  source?: string;
}

export interface ExpandOptions {
  platform?: NodeJS.Platform;
  readWinHttp?: () => Promise<string>;
}

export function isIndirectProxySetting(value: string | undefined): boolean {
  const text = value?.trim().toLowerCase() ?? '';
  return text === 'system' || text.startsWith('pac+');
}

export async function expandProxySetting(network: NetworkConfig, targetUrls: string[], options: ExpandOptions = {}): Promise<ExpandedNetwork> {
  const setting = network.proxy?.trim() ?? '';
  if (!isIndirectProxySetting(setting)) return { networks: targetUrls.map(() => network), warnings: [] };
  const chosen = setting.toLowerCase() === 'system' ? await fromWinHttp(targetUrls, options) : await fromPac(setting, targetUrls);
  return {
    networks: chosen.proxies.map((proxy) => ({ ...network, proxy: proxy ?? 'direct' })),
    warnings: chosen.warnings,
    source: chosen.source,
  };
}

interface Chosen {
  proxies: (string | undefined)[];
  warnings: string[];
  source: string;
}

async function fromWinHttp(targetUrls: string[], options: ExpandOptions): Promise<Chosen> {
  const source = 'network.proxy = system (WinHTTP, netsh winhttp show proxy)';
  const direct = (why: string): Chosen => ({
    proxies: targetUrls.map(() => undefined),
    warnings: [`network.proxy = system: ${why}; connecting directly. Set [network] proxy = http://host:port (ask IT for the proxy address), or fix the WinHTTP setting (netsh winhttp set proxy) and restart the service.`],
    source,
  });
  if ((options.platform ?? process.platform) !== 'win32' && !options.readWinHttp) return direct('the WinHTTP proxy exists only on Windows');
  let output: string;
  try {
    output = await (options.readWinHttp ?? readNetshWinHttpProxy)();
  } catch (error) {
    return direct(`running netsh winhttp show proxy failed (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = parseNetshWinHttpProxy(output);
  if (!parsed) return direct('the output of netsh winhttp show proxy was not understood');
  return { proxies: targetUrls.map((url) => winHttpProxyFor(parsed, url)), warnings: [], source };
}

async function fromPac(setting: string, targetUrls: string[]): Promise<Chosen> {
  const location = pacLocation(setting)!;
  const source = `network.proxy = PAC file ${location.protocol === 'file:' ? location.pathname : `${location.host}${location.pathname}`}`;
  let answers: string[];
  try {
    answers = await evaluatePac(await loadPacScript(location), targetUrls);
  } catch (error) {
    return {
      proxies: targetUrls.map(() => undefined),
      warnings: [`The PAC file could not be used (${error instanceof Error ? error.message : String(error)}); connecting directly. Check that ${source.slice('network.proxy = PAC file '.length)} is reachable from this server, or set [network] proxy = http://host:port, and restart the service.`],
      source,
    };
  }
  const warnings: string[] = [];
  const proxies = answers.map((answer, index) => {
    const entry = firstUsablePacEntry(answer);
    if (entry === undefined) {
      warnings.push(`The PAC file answered "${answer}" for ${new URL(targetUrls[index]!).host}, which has no PROXY, HTTPS or DIRECT entry (SOCKS is not supported); connecting directly.`);
      return undefined;
    }
    return entry === 'DIRECT' ? undefined : entry;
  });
  return { proxies, warnings, source };
}
