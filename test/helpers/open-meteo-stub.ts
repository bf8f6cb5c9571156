// A stand-in for the Open-Meteo forecast API on 127.0.0.1, for tests and the offline demo.
//
// It answers `GET /v1/forecast?latitude=..&longitude=..&current=..` in the real API's shapes (key
// order, grid-snapped coordinates, `location_id` on array elements after the first, 15-minute
// `current` blocks local to `timezone`) with deterministic values, and the real errors in the real
// `{"error": true, "reason": ...}` shape. Tests queue behaviours (throttling, overload, slow, hang,
// truncated 200 bodies, connection resets, a location without data) for the next requests, then
// read back what was asked (`requests`) and which observations a client could have received
// (`served`). Run directly for the demo: `node test/helpers/open-meteo-stub.ts --port 8081`.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

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
  | { kind: 'drop-current'; locationIndex: number; field?: string };

export interface StubRequest {
  time: Date;
  path: string;
  params: Record<string, string>;
  /** Number of locations asked for (latitude list length). */
  locations: number;
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
  close(): Promise<void>;
}

export interface StubOptions {
  port?: number;
  /** The stand-in's clock (picks the 15-minute slot it serves); a test can make it fast or jump. */
  now?: () => Date;
  requireApiKey?: string;
  /** Told about the observations of each complete 200 answer, as they are added to `served`. */
  onServed?: (observations: ServedObservation[]) => void;
  /** Told about each request as it arrives, before it is answered. */
  onRequest?: (request: StubRequest) => void;
}

export const STUB_MAX_LOCATIONS = 1000;

const DEFAULT_REASONS: Record<number, string> = {
  400: 'Bad request',
  401: 'API key missing or invalid',
  403: 'Forbidden',
  429: 'Minutely API request limit exceeded. Please try again in one minute.',
  500: 'Internal server error',
  503: 'The service is overloaded',
};

interface VariableSpec {
  unit: string;
  min: number;
  max: number;
  decimals: number;
}

const VARIABLES: Record<string, VariableSpec> = {
  temperature_2m: { unit: '°C', min: -25, max: 35, decimals: 1 },
  apparent_temperature: { unit: '°C', min: -30, max: 38, decimals: 1 },
  dew_point_2m: { unit: '°C', min: -30, max: 25, decimals: 1 },
  relative_humidity_2m: { unit: '%', min: 5, max: 100, decimals: 0 },
  is_day: { unit: '', min: 0, max: 1, decimals: 0 },
  precipitation: { unit: 'mm', min: 0, max: 4, decimals: 1 },
  rain: { unit: 'mm', min: 0, max: 4, decimals: 1 },
  showers: { unit: 'mm', min: 0, max: 2, decimals: 1 },
  snowfall: { unit: 'cm', min: 0, max: 2, decimals: 2 },
  weather_code: { unit: 'wmo code', min: 0, max: 99, decimals: 0 },
  cloud_cover: { unit: '%', min: 0, max: 100, decimals: 0 },
  pressure_msl: { unit: 'hPa', min: 960, max: 1045, decimals: 1 },
  surface_pressure: { unit: 'hPa', min: 900, max: 1040, decimals: 1 },
  wind_speed_10m: { unit: 'km/h', min: 0, max: 60, decimals: 1 },
  wind_direction_10m: { unit: '°', min: 0, max: 359, decimals: 0 },
  wind_gusts_10m: { unit: 'km/h', min: 0, max: 90, decimals: 1 },
  visibility: { unit: 'm', min: 100, max: 50000, decimals: 0 },
  uv_index: { unit: '', min: 0, max: 9, decimals: 2 },
};

class StubFailure extends Error {
  readonly status: number;
  constructor(status: number, reason: string) {
    super(reason);
    this.status = status;
  }
}

interface Zone {
  name: string;
  abbreviation: string;
  offsetSeconds: number;
}

interface ParsedQuery {
  latitudes: number[];
  longitudes: number[];
  variables: string[];
  zones: Zone[];
  unixtime: boolean;
}

/** A number in [0, 1) that depends only on the parts, so the same question gets the same answer. */
function deterministicFraction(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function parseCoordinates(text: string | undefined, key: 'latitude' | 'longitude'): number[] {
  if (!text) throw new StubFailure(400, `Parameter '${key}' is required`);
  const limit = key === 'latitude' ? 90 : 180;
  return text.split(',').map((item) => {
    const value = Number(item);
    if (item.trim() === '' || !Number.isFinite(value)) {
      throw new StubFailure(400, `Cannot initialize Float from invalid String value ${item} for key ${key}`);
    }
    if (Math.abs(value) > limit) {
      const name = key === 'latitude' ? 'Latitude' : 'Longitude';
      throw new StubFailure(400, `${name} must be in range of -${limit} to ${limit}°. Given: ${value}.`);
    }
    return value;
  });
}

function resolveZone(name: string, at: Date): Zone {
  if (name === 'GMT' || name === 'UTC' || name === 'auto') return { name: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  try {
    const part = (style: 'longOffset' | 'short') =>
      new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: style })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part('longOffset'));
    const sign = match?.[1] === '-' ? -1 : 1;
    const offsetSeconds = match ? sign * (Number(match[2]) * 3600 + Number(match[3]) * 60) : 0;
    return { name, abbreviation: part('short'), offsetSeconds };
  } catch {
    throw new StubFailure(400, 'Invalid timezone');
  }
}

function parseQuery(params: Record<string, string>, at: Date, requireApiKey: string | undefined): ParsedQuery {
  if (requireApiKey !== undefined && params.apikey !== requireApiKey) {
    throw new StubFailure(401, params.apikey ? 'The supplied API key is invalid.' : 'API key required');
  }
  const latitudes = parseCoordinates(params.latitude, 'latitude');
  const longitudes = parseCoordinates(params.longitude, 'longitude');
  if (latitudes.length !== longitudes.length) {
    throw new StubFailure(400, "Parameter 'latitude' and 'longitude' must have the same number of elements");
  }
  if (latitudes.length > STUB_MAX_LOCATIONS) {
    throw new StubFailure(400, `Only up to ${STUB_MAX_LOCATIONS} locations can be requested at once`);
  }
  const variables = (params.current ?? '').split(',').filter((name) => name !== '');
  for (const name of variables) {
    if (!(name in VARIABLES)) {
      throw new StubFailure(400, `Cannot initialize WeatherVariable from invalid String value ${name} for key current`);
    }
  }
  const zoneNames = (params.timezone ?? 'GMT').split(',');
  if (zoneNames.length !== 1 && zoneNames.length !== latitudes.length) {
    throw new StubFailure(400, "Parameter 'timezone' must have one element or as many as 'latitude'");
  }
  const zones = latitudes.map((_, i) => resolveZone(zoneNames[zoneNames.length === 1 ? 0 : i] ?? 'GMT', at));
  return { latitudes, longitudes, variables, zones, unixtime: params.timeformat === 'unixtime' };
}

const WMO_CODES = [0, 1, 2, 3, 45, 48, 51, 53, 55, 61, 63, 65, 71, 73, 75, 80, 81, 82, 95];

function generateValue(name: string, spec: VariableSpec, lat: number, lon: number, slot: number): number {
  const fraction = deterministicFraction(lat, lon, slot, name);
  if (name === 'weather_code') return WMO_CODES[Math.floor(fraction * WMO_CODES.length)] ?? 0;
  if (name === 'is_day') {
    const solarHour = (((slot / 3_600_000 + lon / 15) % 24) + 24) % 24;
    return solarHour >= 6 && solarHour < 18 ? 1 : 0;
  }
  return round(spec.min + fraction * (spec.max - spec.min), spec.decimals);
}

function buildLocation(query: ParsedQuery, index: number, at: Date): Record<string, unknown> {
  const lat = query.latitudes[index] ?? 0;
  const lon = query.longitudes[index] ?? 0;
  const zone = query.zones[index] ?? { name: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  const slot = Math.floor(at.getTime() / 900_000) * 900_000;
  const time = query.unixtime
    ? slot / 1000
    : new Date(slot + zone.offsetSeconds * 1000).toISOString().slice(0, 16);
  const units: Record<string, string> = { time: query.unixtime ? 'unixtime' : 'iso8601', interval: 'seconds' };
  const current: Record<string, unknown> = { time, interval: 900 };
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
    elevation: round(deterministicFraction(lat, lon, 'elevation') * 800, 0),
  };
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

export async function startOpenMeteoStub(options: StubOptions = {}): Promise<OpenMeteoStub> {
  const now = options.now ?? (() => new Date());
  const queue: StubBehaviour[] = [];
  let fallback: StubBehaviour = { kind: 'ok' };
  const requests: StubRequest[] = [];
  const served: ServedObservation[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const sendJson = (res: ServerResponse, record: StubRequest, status: number, body: unknown, headers = {}) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const serveData = (res: ServerResponse, record: StubRequest, behaviour: StubBehaviour) => {
    if (res.destroyed) return; // the client gave up (timeout) before a slow answer was ready
    const at = now();
    let query: ParsedQuery;
    try {
      query = parseQuery(record.params, at, options.requireApiKey);
    } catch (error) {
      if (!(error instanceof StubFailure)) throw error;
      return sendJson(res, record, error.status, { error: true, reason: error.message });
    }
    const elements = query.latitudes.map((_, i) => buildLocation(query, i, at));
    if (behaviour.kind === 'drop-current') {
      const target = elements[behaviour.locationIndex];
      if (target) dropField(target, behaviour.field ?? 'current');
    }
    const body = elements.length === 1 ? elements[0] : elements;
    if (behaviour.kind === 'truncated') {
      const text = JSON.stringify(body);
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      res.end('Unexpected error while streaming data: timeoutReached');
      return;
    }
    sendJson(res, record, 200, body);
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

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams);
    const behaviour = queue.shift() ?? fallback;
    const record: StubRequest = {
      time: now(),
      path: url.pathname,
      params,
      locations: params.latitude ? params.latitude.split(',').length : 0,
      behaviour: behaviour.kind,
    };
    requests.push(record);
    options.onRequest?.(record);
    if (url.pathname !== '/v1/forecast' || req.method !== 'GET') {
      return sendJson(res, record, 404, { error: true, reason: 'Not Found' });
    }
    switch (behaviour.kind) {
      case 'status': {
        const headers = behaviour.retryAfter === undefined ? {} : { 'retry-after': String(behaviour.retryAfter) };
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
    options: { port: { type: 'string', default: '8081' }, 'require-api-key': { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`open-meteo-stub: --port must be a whole number from 0 to 65535, got "${values.port}"`);
    process.exit(2);
  }
  const stub = await startOpenMeteoStub({ port, requireApiKey: values['require-api-key'] });
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
