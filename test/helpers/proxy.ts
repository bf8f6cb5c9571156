// A small HTTP proxy on 127.0.0.1 for tests: CONNECT tunnelling (https targets) and absolute-URI
// forwarding (plain-http targets), optional Basic proxy authentication (407 when missing or
// wrong). It records every request it receives, so a test can assert that traffic went through
// it, or did not. close() destroys every client and upstream socket, so no test leaks one.
// startTargetServer() is the plain HTTP or HTTPS server such tests send requests to.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxyRequest {
  method: string;
  /** `host:port` for CONNECT, the absolute URL for forwarded requests. */
  target: string;
  /** True when the proxy let the request through (credentials valid, or none required). */
  authorized: boolean;
}

export interface TestProxy {
  /** http://127.0.0.1:<port> (https:// when started with `tls`) */
  url: string;
  requests: TestProxyRequest[];
  /** Client connections accepted so far (shows whether clients keep connections alive). */
  connections(): number;
  close(): Promise<void>;
}

export interface TestProxyOptions {
  requireAuth?: { user: string; password: string };
  /** Serve the proxy itself over TLS (an https:// proxy URL). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Refuse forwarded requests whose URL is longer, with 414, as common proxies do at 8 KB. */
  maxUrlBytes?: number;
}

const AUTH_CHALLENGE = 'Basic realm="test-proxy"';

export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const requests: TestProxyRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const isAuthorized = (req: http.IncomingMessage): boolean => {
    if (!options.requireAuth) return true;
    const { user, password } = options.requireAuth;
    return req.headers['proxy-authorization'] === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  };

  const onRequest: http.RequestListener = (req, res) => {
    const authorized = isAuthorized(req);
    requests.push({ method: req.method ?? '', target: req.url ?? '', authorized });
    if (!authorized) {
      res.writeHead(407, { 'Proxy-Authenticate': AUTH_CHALLENGE, 'Content-Length': '0' }).end();
      return;
    }
    if (options.maxUrlBytes !== undefined && (req.url ?? '').length > options.maxUrlBytes) {
      res.writeHead(414, { 'Content-Type': 'text/html' }).end('<html><body><h1>414 Request-URI Too Long</h1></body></html>');
      return;
    }
    forwardRequest(req, res, track);
  };
  // A long request line must reach the 414 check rather than Node's 16 KiB header limit (431).
  const serverOptions = { maxHeaderSize: 1024 * 1024 };
  const server = options.tls ? https.createServer({ ...serverOptions, ...options.tls }, onRequest) : http.createServer(serverOptions, onRequest);
  server.on('tlsClientError', () => undefined);
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    track(socket);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authorized = isAuthorized(req);
    requests.push({ method: 'CONNECT', target: req.url ?? '', authorized });
    if (!authorized) {
      client.end(`HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: ${AUTH_CHALLENGE}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    openTunnel(req.url ?? '', client, head, track);
  });

  const { url, close } = await listenOnLoopback(server, Boolean(options.tls), sockets);
  return { url, requests, connections: () => connections, close };
}

function openTunnel(target: string, client: net.Socket, head: Buffer, track: (socket: net.Socket) => void): void {
  const match = /^(.+):(\d+)$/.exec(target);
  if (!match) {
    client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const upstream = net.connect(Number(match[2]), host);
  track(upstream);
  let connected = false;
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => {
    if (connected) client.destroy();
  });
  upstream.on('error', () => {
    if (!connected && client.writable) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    } else {
      client.destroy();
    }
  });
  upstream.on('connect', () => {
    connected = true;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
}

function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, track: (socket: net.Socket) => void): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '');
  } catch {
    res.writeHead(400, { 'Content-Length': '0' }).end();
    return;
  }
  if (target.protocol !== 'http:') {
    res.writeHead(400, { 'Content-Length': '0' }).end();
    return;
  }
  const headers = { ...req.headers };
  delete headers['proxy-authorization'];
  delete headers['proxy-connection'];
  const upstream = http.request(
    { host: target.hostname.replace(/^\[(.*)\]$/, '$1'), port: target.port || 80, path: `${target.pathname}${target.search}`, method: req.method, headers, agent: false },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('socket', track);
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Length': '0' }).end();
    else res.destroy();
  });
  req.pipe(upstream);
}

export interface TargetServer {
  /** http(s)://127.0.0.1:<port> */
  url: string;
  /** What reached the server: method, path and headers of each request. */
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  /** TCP connections accepted so far (shows whether clients keep connections alive). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A server on 127.0.0.1 that answers `200 hello <path>` to every request, except under `/hang`,
 * where it never answers (for timeout tests). HTTPS when `tls` is given.
 */
export async function startTargetServer(options: { tls?: { key: string | Buffer; cert: string | Buffer } } = {}): Promise<TargetServer> {
  const requests: TargetServer['requests'] = [];
  const handler: http.RequestListener = (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    if (req.url?.startsWith('/hang')) return;
    const body = `hello ${req.url ?? ''}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Failed TLS handshakes (the untrusted-certificate tests) are expected; keep them quiet.
  server.on('tlsClientError', () => undefined);
  const { url, close } = await listenOnLoopback(server, Boolean(options.tls), sockets);
  return { url, requests, connections: () => connections, close };
}

/** Listens on 127.0.0.1 (a free port); `close` also ends every socket the server tracked. */
async function listenOnLoopback(server: http.Server, tls: boolean, sockets: Set<net.Socket>): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
