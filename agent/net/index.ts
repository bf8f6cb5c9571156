// Network settings shared by both outbound clients: one proxy decision (config proxy, then
// HTTPS_PROXY/HTTP_PROXY, with NO_PROXY exempting hosts) and network.ca_file trusted in addition
// to Node's default roots. Factories run once at start-up; the clients they return are closed
// (dispatcher.close(), handler.destroy()) on shutdown. The S3 client's handler is built in
// sinks/s3/node-http-handler.ts (it is the SDK's), from the same decision.
export { createUndiciDispatcher } from './undici-dispatcher.ts';
export { describeProxy, prepareProxy, proxyUrlProblem, resolveProxy, type PreparedProxy } from './proxy.ts';
export { loadTrustedCertificates, readCaFile } from './ca-file.ts';
export { isExemptFromProxy } from './no-proxy.ts';
export { expandProxySetting, isIndirectProxySetting, type ExpandedNetwork } from './proxy-setting.ts';
export { parseNetshWinHttpProxy, winHttpProxyFor, type WinHttpProxy } from './winhttp-proxy.ts';
