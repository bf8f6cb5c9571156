// A reverse proxy the campaign puts between the agent and the Open-Meteo stand-in, to play a
// source that sends values no real observation has: the agent's `[open_meteo] url` points here,
// and every request and answer passes unchanged unless a poison is queued. Then the next complete
// 200 answer has its first location's element changed:
//   future-time      `current.time` in 2099 (a value that, once trusted, silences the location);
//   huge-offset      `utc_offset_seconds` = 1e13 (an Invalid Date for any date arithmetic);
//   impossible-time  `current.time` = 2026-02-31T25:61 (Date would roll it into March);
//   deep-nesting     a value nested 200,000 levels deep inside `current`.
// The element's other locations are left alone: they must still be collected. `onPoisoned` is
// told which location's observation was spoiled (its requested coordinates), so the checker does
// not count it as served.
//
// Lifecycle: startPoisoningProxy(upstream) -> poisonNextAnswer(...) -> close().
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Poison = 'future-time' | 'huge-offset' | 'impossible-time' | 'deep-nesting';

export interface PoisoningProxy {
  url: string;
  poisonNextAnswer(poison: Poison): void;
  clear(): void;
  close(): Promise<void>;
}

const DEEP_NESTING = 200_000;

export interface PoisonedAnswer {
  poison: Poison;
  /** The requested coordinates of the spoiled location (the first of the request). */
  latitude: number;
  longitude: number;
}

export async function startPoisoningProxy(upstream: string, onPoisoned: (answer: PoisonedAnswer) => void): Promise<PoisoningProxy> {
  const target = new URL(upstream);
  const poisons: Poison[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const poison = poisons[0];
    forward(req, res, target, (upstreamRes, body) => {
      const poisoned = poison && upstreamRes.statusCode === 200 ? poisonBody(body, poison) : undefined;
      if (poisoned === undefined) {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        return void res.end(body);
      }
      poisons.shift();
      const query = new URL(req.url ?? '/', 'http://proxy').searchParams;
      const first = (name: string) => Number((query.get(name) ?? '').split(',')[0]);
      onPoisoned({ poison: poison!, latitude: first('latitude'), longitude: first('longitude') });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(poisoned) });
      res.end(poisoned);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}${target.search}`,
    poisonNextAnswer: (poison) => void poisons.push(poison),
    clear: () => void (poisons.length = 0),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards the request (asking for an uncompressed answer, so it can be read) and hands the
 *  whole upstream answer to `done`. An upstream reset or hang is passed on as a reset. */
function forward(req: IncomingMessage, res: ServerResponse, target: URL, done: (upstreamRes: IncomingMessage, body: Buffer) => void): void {
  const headers = { ...req.headers };
  delete headers['accept-encoding'];
  const upstreamReq = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upstreamRes) => {
    const chunks: Buffer[] = [];
    upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
    upstreamRes.once('end', () => done(upstreamRes, Buffer.concat(chunks)));
    upstreamRes.once('error', () => res.socket?.destroy());
  });
  upstreamReq.once('error', () => res.socket?.destroy());
  res.once('close', () => upstreamReq.destroy()); // the agent gave up (timeout): so do we
  req.pipe(upstreamReq);
}

/** The poisoned JSON text, or undefined when the body is not a complete JSON answer. */
function poisonBody(body: Buffer, poison: Poison): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // truncated or streaming-error bodies serve nothing; leave them as they are
  }
  const element = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
  const current = element?.current as Record<string, unknown> | undefined;
  if (!element || !current) return undefined;
  if (poison === 'future-time') current.time = typeof current.time === 'number' ? 4_070_908_800 : '2099-01-01T00:00';
  if (poison === 'huge-offset') element.utc_offset_seconds = 1e13;
  if (poison === 'impossible-time') current.time = '2026-02-31T25:61';
  if (poison !== 'deep-nesting') return JSON.stringify(parsed);
  // JSON.stringify itself would overflow on 200,000 levels: splice the nesting in as text.
  current.nested = '__DEEP__';
  return JSON.stringify(parsed).replace('"__DEEP__"', '['.repeat(DEEP_NESTING) + ']'.repeat(DEEP_NESTING));
}
