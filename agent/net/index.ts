// Network settings shared by both outbound clients: one proxy decision (config proxy, then
// HTTPS_PROXY/HTTP_PROXY, with NO_PROXY exempting hosts) and network.ca_file trusted in addition
// to Node's default roots. Factories run once at start-up; the clients they return are closed
// (dispatcher.close(), handler.destroy()) on shutdown.
export { createNodeHttpHandler, type NodeHttpHandlerTimeouts } from './node-http-handler.ts';
export { createUndiciDispatcher } from './undici-dispatcher.ts';
export { describeProxy, prepareProxy, proxyUrlProblem, resolveProxy, type PreparedProxy } from './proxy.ts';
export { loadTrustedCertificates, readCaFile } from './ca-file.ts';
export { isExemptFromProxy } from './no-proxy.ts';
export { expandProxySetting, isIndirectProxySetting, type ExpandedNetwork } from './proxy-setting.ts';
export { parseNetshWinHttpProxy, winHttpProxyFor, type WinHttpProxy } from './winhttp-proxy.ts';
