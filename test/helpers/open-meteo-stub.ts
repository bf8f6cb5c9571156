// A stand-in for the Open-Meteo forecast API on 127.0.0.1, for tests and the offline demo.
//
// It answers `GET /v1/forecast?latitude=..&longitude=..&current=..` in the real API's shapes (key
// order, grid-snapped coordinates, `location_id` on array elements after the first, 15-minute
// `current` blocks local to `timezone`) with deterministic values, and the real errors in the real
// `{"error": true, "reason": ...}` shape. Tests queue behaviours (throttling, overload, slow, hang,
// truncated 200 bodies, connection resets, a location without data) for the next requests, then
// read back what was asked (`requests`) and which observations a client could have received
// (`served`). Run directly for the demo: `node test/helpers/open-meteo-stub.ts --port 8081`.
//
// Like the real server (see open-meteo-stub-rules.ts for the source files each rule follows):
// `freeApi` turns on the free host's rules (weighted per-IP minute/hour/day budget with 429s and
// the real reasons, 303 for an apikey, 400 for a too heavy request); `requireApiKey` the customer
// host's (401 missing, 400 invalid); `noDataAt` coordinates fail the whole request with 400 "No
// data is available for this location"; gzip when the client asks; `omitElevation`,
// `intervalSeconds` and the `nan` behaviour for body details; `maxUrlBytes` answers 414.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { parseQuery, StubFailure, type ParsedQuery } from './open-meteo-stub-query.ts';
import { deterministicFraction, generateValue, round, VARIABLES, type VariableSpec } from './open-meteo-stub-data.ts';
import { createRateLimiter, REAL_FREE_LIMITS, REASONS, stubWeight, type StubLimits } from './open-meteo-stub-rules.ts';

export type StubBehaviour =
  | { kind: 'ok' }
  /** An error answer in the API's JSON shape; `reason` defaults to the real text for the status. */
  | { kind: 'status'; status: number; reason?: string; retryAfter?: number | string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  /** 200, part of the JSON, then the server's "Unexpected error while streaming data" trailer. */
  | { kind: 'truncated' }
  | { kind: 'reset' }
  /** Leaves out `current` (default), `current.time`, or one variable for one location index. */
  | { kind: 'drop-current'; locationIndex: number; field?: string }
  /** 200 with a bare `nan` (not JSON) as one location's value of `variable`, as a NaN float is written. */
  | { kind: 'nan'; locationIndex: number; variable: string };

export interface StubRequest {
  time: Date;
  path: string;
  params: Record<string, string>;
  /** Number of locations asked for (latitude list length). */
  locations: number;
  /** Length of the request URL in absolute form (as a proxy sees it). */
  urlBytes: number;
  /** The weighted calls the free API counted for this request (0 unless `freeApi`). */
  calls: number;
  gzip: boolean;
  behaviour: StubBehaviour['kind'];
  /** Undefined while pending, or when the connection was reset or the client left first. */
  status?: number;
}

/** One location result a client received complete with status 200. */
export interface ServedObservation {
  latitude: number;
  longitude: number;
  time: string | number;
}

export interface OpenMeteoStub {
  url: string;
  requests: StubRequest[];
  served: ServedObservation[];
  enqueue(...behaviours: StubBehaviour[]): void;
  setDefault(behaviour: StubBehaviour): void;
  /** The free API's counters for this client now (zeros unless `freeApi`). */
  usage(): { minute: number; hour: number; day: number };
  close(): Promise<void>;
}

export interface StubOptions {
  port?: number;
  /** The stand-in's clock (picks the 15-minute slot it serves); a test can make it fast or jump. */
  now?: () => Date;
  /** The customer host: every request needs this key (401 without one, 400 for another). */
  requireApiKey?: string;
  /** The free host: weighted per-IP budget (real limits when true), 303 for an apikey. */
  freeApi?: boolean | Partial<StubLimits>;
  /** Coordinates the stand-in has no data for; a request holding one fails as a whole. */
  noDataAt?: { latitude: number; longitude: number }[];
  omitElevation?: boolean;
  /** `current.interval` in seconds (900 default; 3600 for models with hourly data only). */
  intervalSeconds?: number;
  /** Longest request URL (absolute form) accepted; longer ones get 414 like common proxies. */
  maxUrlBytes?: number;
  /** Told about the observations of each complete 200 answer, as they are added to `served`. */
  onServed?: (observations: ServedObservation[]) => void;
  /** Told about each request as it arrives, before it is answered. */
  onRequest?: (request: StubRequest) => void;
}

export { STUB_MAX_LOCATIONS } from './open-meteo-stub-query.ts';

const DEFAULT_REASONS: Record<number, string> = {
  400: 'Bad request',
  401: REASONS.keyRequired,
  403: 'Forbidden',
  429: REASONS.minutely,
  500: 'Internal server error',
  503: 'The service is overloaded',
};

interface BodyOptions {
  omitElevation: boolean;
  intervalSeconds: number;
}

function buildLocation(query: ParsedQuery, index: number, at: Date, body: BodyOptions): Record<string, unknown> {
  const lat = query.latitudes[index] ?? 0;
  const lon = query.longitudes[index] ?? 0;
  const zone = query.zones[index] ?? { name: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  const slot = Math.floor(at.getTime() / 900_000) * 900_000;
  const time = query.unixtime
    ? slot / 1000
    : new Date(slot + zone.offsetSeconds * 1000).toISOString().slice(0, 16);
  const units: Record<string, string> = { time: query.unixtime ? 'unixtime' : 'iso8601', interval: 'seconds' };
  const current: Record<string, unknown> = { time, interval: body.intervalSeconds };
  for (const name of query.variables) {
    const spec = VARIABLES[name] as VariableSpec;
    units[name] = spec.unit;
    current[name] = generateValue(name, spec, lat, lon, slot);
  }
  const element: Record<string, unknown> = {
    // The real API snaps to its model grid, so answers never echo the request exactly.
    latitude: round(Math.round(lat * 50) / 50, 6),
    longitude: round(Math.round(lon * 50) / 50, 6),
    generationtime_ms: 0.05,
    utc_offset_seconds: zone.offsetSeconds,
    timezone: zone.name,
    timezone_abbreviation: zone.abbreviation,
  };
  // The server leaves elevation out when it is not finite (no terrain data there).
  if (!body.omitElevation) element.elevation = round(deterministicFraction(lat, lon, 'elevation') * 800, 0);
  if (index !== 0) element.location_id = index;
  element.current_units = units;
  element.current = current;
  return element;
}

function dropField(element: Record<string, unknown>, field: string): void {
  if (field === 'current') {
    delete element.current_units;
    delete element.current;
  } else if (element.current && typeof element.current === 'object') {
    delete (element.current as Record<string, unknown>)[field];
  }
}

function matchesAny(query: ParsedQuery, places: { latitude: number; longitude: number }[]): boolean {
  return query.latitudes.some((lat, i) => places.some((place) => place.latitude === lat && place.longitude === query.longitudes[i]));
}

/** The body text; a `nan` behaviour writes one value as a bare nan, which is not JSON. */
function bodyText(body: unknown, behaviour: StubBehaviour, elements: Record<string, unknown>[]): string {
  if (behaviour.kind !== 'nan') return JSON.stringify(body);
  const current = elements[behaviour.locationIndex]?.current as Record<string, unknown> | undefined;
  if (current) current[behaviour.variable] = '__NAN__';
  return JSON.stringify(body).replace('"__NAN__"', 'nan');
}

export async function startOpenMeteoStub(options: StubOptions = {}): Promise<OpenMeteoStub> {
  const now = options.now ?? (() => new Date());
  const queue: StubBehaviour[] = [];
  let fallback: StubBehaviour = { kind: 'ok' };
  const requests: StubRequest[] = [];
  const served: ServedObservation[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const limits = options.freeApi ? { ...REAL_FREE_LIMITS, ...(options.freeApi === true ? {} : options.freeApi) } : undefined;
  const limiter = createRateLimiter(limits ?? REAL_FREE_LIMITS, now);
  const bodyOptions: BodyOptions = { omitElevation: options.omitElevation ?? false, intervalSeconds: options.intervalSeconds ?? 900 };
  /** The free API counts an answered error as 1 call and a served answer by its weight. */
  const charge = (record: StubRequest, calls: number) => {
    if (!limits) return;
    record.calls = calls;
    limiter.add(calls);
  };

  const send = (res: ServerResponse, record: StubRequest, status: number, text: string, headers: Record<string, string> = {}) => {
    record.status = status;
    const body = record.gzip ? gzipSync(text) : Buffer.from(text);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(record.gzip ? { 'content-encoding': 'gzip' } : {}), ...headers });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, record: StubRequest, status: number, body: unknown, headers: Record<string, string> = {}) =>
    send(res, record, status, JSON.stringify(body), headers);
  const refuse = (res: ServerResponse, record: StubRequest, status: number, reason: string) => {
    charge(record, 1);
    sendJson(res, record, status, { error: true, reason });
  };

  const serveData = (res: ServerResponse, record: StubRequest, behaviour: StubBehaviour) => {
    if (res.destroyed) return; // the client gave up (timeout) before a slow answer was ready
    const at = now();
    let query: ParsedQuery;
    try {
      query = parseQuery(record.params, at, options.requireApiKey);
    } catch (error) {
      if (!(error instanceof StubFailure)) throw error;
      return refuse(res, record, error.status, error.message);
    }
    if (options.noDataAt && matchesAny(query, options.noDataAt)) return refuse(res, record, 400, REASONS.noData);
    const calls = stubWeight(query.latitudes.length, query.variables.length, query.models);
    if (limits && calls > limits.hour) return refuse(res, record, 400, REASONS.tooMuchData);
    const elements = query.latitudes.map((_, i) => buildLocation(query, i, at, bodyOptions));
    if (behaviour.kind === 'drop-current') {
      const target = elements[behaviour.locationIndex];
      if (target) dropField(target, behaviour.field ?? 'current');
    }
    const body = elements.length === 1 ? elements[0] : elements;
    charge(record, calls);
    if (behaviour.kind === 'truncated') {
      const text = JSON.stringify(body);
      return send(res, record, 200, `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}Unexpected error while streaming data: timeoutReached`);
    }
    send(res, record, 200, bodyText(body, behaviour, elements));
    if (behaviour.kind === 'nan') return; // not JSON: no client could have read it
    const answered: ServedObservation[] = [];
    elements.forEach((element, i) => {
      const current = element.current as Record<string, unknown> | undefined;
      const time = current?.time as string | number | undefined;
      const complete = time !== undefined && query.variables.every((name) => current && name in current);
      if (complete) answered.push({ latitude: query.latitudes[i] ?? 0, longitude: query.longitudes[i] ?? 0, time });
    });
    served.push(...answered);
    if (answered.length > 0) options.onServed?.(answered);
  };

  /** The free host's gate before any work: the rate limit, then the redirect for a key. */
  const freeHostAnswer = (req: IncomingMessage, res: ServerResponse, record: StubRequest): boolean => {
    if (!limits) return false;
    const limited = limiter.check();
    if (limited) {
      sendJson(res, record, 429, { error: true, reason: limited });
      return true;
    }
    if (record.params.apikey === undefined) return false;
    const target = `https://customer-api.open-meteo.com${req.url ?? '/'}`;
    if (target.length >= 3500) {
      refuse(res, record, 400, REASONS.redirectTooLong);
      return true;
    }
    record.status = 303;
    res.writeHead(303, { location: target, 'content-length': '0' });
    res.end();
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams);
    const behaviour = queue.shift() ?? fallback;
    const record: StubRequest = {
      time: now(),
      path: url.pathname,
      params,
      locations: params.latitude ? params.latitude.split(',').length : 0,
      urlBytes: `http://${req.headers.host ?? ''}${req.url ?? ''}`.length,
      calls: 0,
      gzip: /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')),
      behaviour: behaviour.kind,
    };
    requests.push(record);
    options.onRequest?.(record);
    if (options.maxUrlBytes !== undefined && record.urlBytes > options.maxUrlBytes) {
      record.status = 414;
      res.writeHead(414, { 'content-type': 'text/html' });
      res.end('<html><body><h1>414 Request-URI Too Large</h1></body></html>');
      return;
    }
    if (url.pathname !== '/v1/forecast' || req.method !== 'GET') {
      return sendJson(res, record, 404, { error: true, reason: 'Not Found' });
    }
    if (freeHostAnswer(req, res, record)) return;
    switch (behaviour.kind) {
      case 'status': {
        const headers: Record<string, string> = behaviour.retryAfter === undefined ? {} : { 'retry-after': String(behaviour.retryAfter) };
        const reason = behaviour.reason ?? DEFAULT_REASONS[behaviour.status] ?? 'Error';
        return sendJson(res, record, behaviour.status, { error: true, reason }, headers);
      }
      case 'hang':
        return; // answered by close(), which drops the connection
      case 'reset':
        req.socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          serveData(res, record, behaviour);
        }, behaviour.delayMs);
        timers.add(timer);
        return;
      }
      default:
        return serveData(res, record, behaviour);
    }
  };

  // 1,000 coordinate pairs make a request line longer than Node's default 16 KiB header limit.
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1/forecast`,
    requests,
    served,
    enqueue: (...behaviours) => void queue.push(...behaviours),
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    usage: () => (limits ? limiter.usage() : { minute: 0, hour: 0, day: 0 }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function runStandalone(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8081' }, 'require-api-key': { type: 'string' }, 'free-api': { type: 'boolean' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`open-meteo-stub: --port must be a whole number from 0 to 65535, got "${values.port}"`);
    process.exit(2);
  }
  const stub = await startOpenMeteoStub({ port, requireApiKey: values['require-api-key'], freeApi: values['free-api'] ?? false });
  console.log(`Open-Meteo stand-in listening on ${stub.url}`);
  const stop = () => void stub.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  runStandalone().catch((error: unknown) => {
    console.error(`open-meteo-stub: could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
