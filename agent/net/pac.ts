// `[network] proxy = pac+http://host/proxy.pac` (or pac+https://, pac+file:///path/proxy.pac):
// a proxy auto-config file, the JavaScript `FindProxyForURL(url, host)` that browsers run (format:
// https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Proxy_servers_and_tunneling/Proxy_Auto-Configuration_PAC_file ).
// It is fetched and run once at start-up for each target (Open-Meteo, S3), in a sandbox: the
// maintained `pac-resolver` package (TooTallNate/proxy-agents) on a QuickJS engine compiled to
// WebAssembly (`quickjs-wasi`), never in the agent's own JavaScript context.
// The PAC file itself is fetched directly (it is served inside the network), with a timeout.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const PAC_FETCH_TIMEOUT_MS = 10_000;
const PAC_MAX_BYTES = 1024 * 1024;

/** The PAC file's location from `pac+<url>`, or undefined when `setting` is not a PAC setting. */
export function pacLocation(setting: string): URL | undefined {
  if (!/^pac\+/i.test(setting.trim())) return undefined;
  return URL.parse(setting.trim().slice(4)) ?? undefined;
}

/** Reads the PAC script; throws an Error saying what failed (no secrets: PAC URLs carry none). */
export async function loadPacScript(location: URL): Promise<string> {
  if (location.protocol === 'file:') return readFile(fileURLToPath(location), 'utf8');
  if (location.protocol !== 'http:' && location.protocol !== 'https:') throw new Error(`unsupported PAC location scheme ${location.protocol}`);
  const response = await fetch(location, { signal: AbortSignal.timeout(PAC_FETCH_TIMEOUT_MS), redirect: 'follow' });
  if (!response.ok) throw new Error(`HTTP ${response.status} fetching ${location.host}${location.pathname}`);
  const text = await response.text();
  if (text.length > PAC_MAX_BYTES) throw new Error(`the PAC file is larger than ${PAC_MAX_BYTES} bytes`);
  return text;
}

/** Runs FindProxyForURL for each target URL; returns the raw answers (`PROXY a:1; DIRECT`). */
export async function evaluatePac(script: string, targetUrls: string[]): Promise<string[]> {
  // Loaded only when a PAC file is configured: the engine is 0.6 MB of WebAssembly.
  const [{ createPacResolver }, { QuickJS }, { loadQuickJsWasm }] = await Promise.all([import('pac-resolver'), import('quickjs-wasi'), import('./quickjs-wasm.ts')]);
  const vm = await QuickJS.create({ wasm: await loadQuickJsWasm() });
  try {
    const findProxyForUrl = createPacResolver(vm, script, { filename: 'proxy.pac' });
    const answers: string[] = [];
    for (const url of targetUrls) answers.push(String(await findProxyForUrl(url)));
    return answers;
  } finally {
    vm.dispose();
  }
}

/**
 * The first usable entry of a FindProxyForURL answer: a proxy URL, 'DIRECT', or undefined when no
 * entry can be used (SOCKS is not supported). Failover to later entries at request time is not
 * done: the decision is made once.
 */
export function firstUsablePacEntry(answer: string): string | undefined {
  for (const entry of answer.split(';').map((part) => part.trim()).filter(Boolean)) {
    const [type, hostPort] = entry.split(/\s+/, 2);
    const kind = type!.toUpperCase();
    if (kind === 'DIRECT') return 'DIRECT';
    if ((kind === 'PROXY' || kind === 'HTTP') && hostPort) return `http://${hostPort}`;
    if (kind === 'HTTPS' && hostPort) return `https://${hostPort}`;
  }
  return undefined;
}
