// The Open-Meteo source against the stand-in server on 127.0.0.1: real HTTP, real undici. Request
// deadlines run on a manual clock the tests advance once the request is in flight, so a timeout
// costs no real second.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Location, OpenMeteoConfig } from '../../../agent/config/types.ts';
import { Secret } from '../../../agent/config/secret.ts';
import { SourceError } from '../../../agent/errors.ts';
import { MAX_URL_BYTES, planBatches } from '../../../agent/sources/open-meteo/batches.ts';
import { buildBatchUrl } from '../../../agent/sources/open-meteo/request.ts';
import { createOpenMeteoSource, type LocationResult } from '../../../agent/sources/open-meteo/index.ts';
import { createListLogger } from '../../helpers/list-logger.ts';
import { createManualClock, type ManualClock } from '../../helpers/manual-clock.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../../helpers/open-meteo-stub.ts';
import { LogEvents } from '../../../agent/log/events.ts';

const START = new Date('2026-11-21T10:22:31Z');
const SLOT = new Date('2026-11-21T10:15:00Z');
const VARIABLES = ['temperature_2m', 'wind_speed_10m', 'is_day'];
const API_KEY = 'om-live-7f3a9c2e5b1d';

let clock: Date;
/** Times request deadlines only; `clock` above is what the source reads as the time of day. */
let timers: ManualClock;
let stub: OpenMeteoStub;
let dispatcher: Agent;
let logger: ReturnType<typeof createListLogger>;

beforeEach(async () => {
  clock = START;
  timers = createManualClock(START);
  stub = await startOpenMeteoStub({ now: () => clock });
  dispatcher = new Agent();
  logger = createListLogger();
});

afterEach(async () => {
  await dispatcher.close();
  await stub.close();
});

function location(id: string, latitude: number, longitude: number): Location {
  return { id, name: id, latitude, longitude };
}

const HELSINKI = location('helsinki', 60.17, 24.94);
const BERLIN = location('berlin', 52.52, 13.41);
const SYDNEY = location('sydney', -33.87, 151.21);

function manyLocations(count: number): Location[] {
  return Array.from({ length: count }, (_, i) => location(`site-${i}`, Math.round(-600 + (i % 1200)) / 10, -170 + Math.floor(i / 1200) * 10));
}

function makeSource(overrides: Partial<OpenMeteoConfig> = {}, url = stub.url) {
  const config: OpenMeteoConfig = { url, variables: VARIABLES, schedule: '*/15 * * * *', jitterSeconds: 0, timeoutSeconds: 10, callBudget: 'none', ...overrides };
  return createOpenMeteoSource({ config, logger, dispatcher, now: () => clock, clock: timers });
}

function failures(results: LocationResult[]): SourceError[] {
  return results.flatMap((result) => (result.ok ? [] : [result.error]));
}

function successes(results: LocationResult[]) {
  return results.flatMap((result) => (result.ok ? [result] : []));
}

describe('happy path', () => {
  it('fetches one location with one request and returns the payload unchanged', async () => {
    const [result, ...rest] = await makeSource().fetchCurrent([HELSINKI]);
    expect(rest).toEqual([]);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]?.params).toMatchObject({ latitude: '60.17', longitude: '24.94', current: 'temperature_2m,wind_speed_10m,is_day' });
    expect(stub.requests[0]?.params.apikey).toBeUndefined();
    if (!result?.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    expect(result.location).toBe(HELSINKI);
    expect(result.observedAt.toISOString()).toBe(SLOT.toISOString());
    expect(Object.keys(result.payload)).toEqual([
      'latitude', 'longitude', 'generationtime_ms', 'utc_offset_seconds', 'timezone', 'timezone_abbreviation', 'elevation',
      'current_units', 'current',
    ]);
    expect(result.payload.current).toMatchObject({ time: '2026-11-21T10:15', interval: 900 });
    expect(Object.keys(result.payload.current as object)).toEqual(['time', 'interval', ...VARIABLES]);
    // Unchanged: the same question asked directly gets the same (deterministic) answer.
    const direct = await fetch(`${stub.url}?${new URLSearchParams(stub.requests[0]?.params)}`);
    expect(result.payload).toEqual(await direct.json());
  });

  it('fetches several locations with one request, mapping results by position', async () => {
    const locations = [HELSINKI, BERLIN, SYDNEY];
    const results = await makeSource().fetchCurrent(locations);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]?.params.latitude).toBe('60.17,52.52,-33.87');
    expect(results.map((r) => r.location)).toEqual(locations);
    const ok = successes(results);
    expect(ok).toHaveLength(3);
    expect(ok.map((r) => r.payload.location_id)).toEqual([undefined, 1, 2]);
    expect(ok.map((r) => r.observedAt.toISOString())).toEqual([SLOT, SLOT, SLOT].map((d) => d.toISOString()));
    // Answers are grid-snapped, so position (not coordinates) must decide which location is which.
    expect(ok[2]?.payload.latitude).toBe(-33.86);
    expect(stub.served.map((s) => s.latitude)).toEqual([60.17, 52.52, -33.87]);
  });

  it('splits 2,500 locations into requests of at most 8,000 URL bytes, sent one after another', async () => {
    const locations = manyLocations(2500);
    const results = await makeSource().fetchCurrent(locations);
    expect(stub.requests.length).toBeGreaterThanOrEqual(4);
    expect(stub.requests.every((r) => r.status === 200 && r.urlBytes <= MAX_URL_BYTES && r.locations <= 1000)).toBe(true);
    expect(stub.requests.reduce((sum, r) => sum + r.locations, 0)).toBe(2500);
    expect(results).toHaveLength(2500);
    expect(results.every((result, i) => result.ok && result.location === locations[i])).toBe(true);
    expect(stub.served).toHaveLength(2500);
    expect(logger.lines.filter((l) => l.level === 'debug' && l.event === LogEvents.requestFinished.name)).toHaveLength(stub.requests.length);
  });

  it('cuts batches at 1,000 locations and at the URL limit, whichever comes first', () => {
    const locations = Array.from({ length: 2500 }, (_, i) => location(`s${i}`, i % 2, 0));
    const plan = { base: new URL(stub.url), variables: VARIABLES, apiKey: undefined, maxLocations: 1000 };
    expect(planBatches(locations, { ...plan, maxUrlBytes: 1_000_000 }).map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(planBatches(locations, { ...plan, maxLocationsByBudget: 600, maxUrlBytes: 1_000_000 }).map((b) => b.length)).toEqual([600, 600, 600, 600, 100]);
    const byUrl = planBatches(locations, plan);
    expect(byUrl.every((batch) => buildBatchUrl(plan.base, batch, VARIABLES, undefined).href.length <= MAX_URL_BYTES)).toBe(true);
    expect(byUrl.map((batch) => batch.length)).toEqual([987, 987, 526]);
    const [first] = byUrl;
    expect(buildBatchUrl(plan.base, [...(first ?? []), location('x', 1, 0)], VARIABLES, undefined).href.length).toBeGreaterThan(MAX_URL_BYTES);
  });

  it('returns no results and sends nothing for no locations', async () => {
    await expect(makeSource().fetchCurrent([])).resolves.toEqual([]);
    expect(stub.requests).toHaveLength(0);
  });

  it.each([
    ['America/New_York', '2026-11-21T05:15', -18000],
    ['Asia/Kolkata', '2026-11-21T15:45', 19800],
  ])('converts local time in %s to UTC with utc_offset_seconds', async (timezone, localTime, offset) => {
    const [result] = await makeSource({}, `${stub.url}?timezone=${timezone}`).fetchCurrent([HELSINKI]);
    if (!result?.ok) throw new Error('expected ok');
    expect(result.payload).toMatchObject({ utc_offset_seconds: offset, timezone, current: { time: localTime } });
    expect(result.observedAt.toISOString()).toBe(SLOT.toISOString());
  });

  it('accepts unixtime answers', async () => {
    const [result] = await makeSource({}, `${stub.url}?timeformat=unixtime`).fetchCurrent([HELSINKI]);
    if (!result?.ok) throw new Error('expected ok');
    expect(result.payload.current).toMatchObject({ time: SLOT.getTime() / 1000 });
    expect(result.observedAt.toISOString()).toBe(SLOT.toISOString());
  });

  it('logs one debug line per request with host, path, batch size, status and duration', async () => {
    await makeSource().fetchCurrent([HELSINKI, BERLIN]);
    const debug = logger.lines.filter((l) => l.level === 'debug');
    expect(debug).toHaveLength(1);
    expect(debug[0]?.component).toBe('open-meteo');
    expect(debug[0]?.fields).toMatchObject({ host: new URL(stub.url).host, path: '/v1/forecast', locations: 2, status: 200 });
    expect(debug[0]?.fields.ms).toEqual(expect.any(Number));
  });
});

describe('a location without data', () => {
  it.each([
    ['current', 'no "current" block'],
    ['time', 'current.time is missing'],
    ['wind_speed_10m', 'current.wind_speed_10m missing'],
  ])('fails only that location when %s is missing', async (field, problem) => {
    stub.enqueue({ kind: 'drop-current', locationIndex: 1, field });
    const results = await makeSource().fetchCurrent([HELSINKI, BERLIN, SYDNEY]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const [error] = failures(results);
    expect(error?.kind).toBe('bad-body');
    expect(error?.message).toContain('"berlin"');
    expect(error?.message).toContain(problem);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ failed: 1, locations: 3 });
  });
});

describe('failures', () => {
  it('reports an unknown variable as bad-request naming the config key, without backing off', async () => {
    const source = makeSource({ variables: ['temperature_2m', 'tempeture_2m'] });
    const results = await source.fetchCurrent([HELSINKI, BERLIN]);
    const errors = failures(results);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(SourceError);
    expect(errors[0]).toMatchObject({ kind: 'bad-request', status: 400 });
    expect(errors[0]?.message).toContain('open_meteo.variables');
    expect(errors[0]?.message).toContain('"tempeture_2m"');
    // A person must fix the config: one error line for the batch, not one per location.
    expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.level)).toEqual(['error']);
    await source.fetchCurrent([HELSINKI]);
    expect(stub.requests).toHaveLength(2);
  });

  it.each([
    [500, 'http'],
    [502, 'http'],
    [403, 'auth'],
  ] as const)('maps HTTP %i to %s and tries again next cycle', async (status, kind) => {
    stub.enqueue({ kind: 'status', status });
    const source = makeSource();
    const [result] = await source.fetchCurrent([HELSINKI]);
    expect(result?.ok).toBe(false);
    expect(failures([result!])[0]).toMatchObject({ kind, status });
    expect((await source.fetchCurrent([HELSINKI]))[0]?.ok).toBe(true);
    expect(stub.requests).toHaveLength(2);
  });

  it('reports a request that outlasts timeout_seconds as timeout', async () => {
    stub.enqueue({ kind: 'slow', delayMs: 500 });
    const started = Date.now();
    const pending = makeSource({ timeoutSeconds: 1 }).fetchCurrent([HELSINKI]);
    await waitFor(() => stub.requests.length === 1);
    await timers.advance(1000);
    const [result] = await pending;
    expect(failures([result!])[0]?.kind).toBe('timeout');
    expect(failures([result!])[0]?.message).toContain('1 s');
    // 'timeout' (not ok) already proves the deadline cut the (real) 0.5 s answer short; no timing asserts.
    // The late answer finds the connection gone: nothing counts as delivered.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 700 - (Date.now() - started))));
    expect(stub.served).toEqual([]);
    expect(stub.requests[0]?.status).toBeUndefined();
  });

  it('reports a server that never answers as timeout', async () => {
    stub.enqueue({ kind: 'hang' });
    const pending = makeSource({ timeoutSeconds: 1 }).fetchCurrent([HELSINKI]);
    await waitFor(() => stub.requests.length === 1);
    await timers.advance(1000);
    const [result] = await pending;
    expect(failures([result!])[0]?.kind).toBe('timeout');
  });

  it('fails the whole batch when a 200 body is cut off by a streaming error', async () => {
    stub.enqueue({ kind: 'truncated' });
    const results = await makeSource().fetchCurrent([HELSINKI, BERLIN]);
    const errors = failures(results);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ kind: 'bad-body', status: 200 });
    expect(errors[0]?.message).toContain('Unexpected error while streaming data');
    expect(stub.requests[0]?.status).toBe(200);
  });

  it('reports a reset connection as network', async () => {
    stub.enqueue({ kind: 'reset' });
    const [result] = await makeSource().fetchCurrent([HELSINKI]);
    expect(failures([result!])[0]?.kind).toBe('network');
  });

  it('reports a refused connection as network, naming host and path', async () => {
    const closedPort = await unusedPort();
    const [result] = await makeSource({}, `http://127.0.0.1:${closedPort}/v1/forecast`).fetchCurrent([HELSINKI]);
    const error = failures([result!])[0];
    expect(error?.kind).toBe('network');
    expect(error?.message).toContain(`127.0.0.1:${closedPort}/v1/forecast`);
    expect(error?.message).toContain('ECONNREFUSED');
  });

  it('reports a wrong path as http with a hint on open_meteo.url', async () => {
    const [result] = await makeSource({}, stub.url.replace('/v1/forecast', '/v1/forecas')).fetchCurrent([HELSINKI]);
    expect(failures([result!])[0]).toMatchObject({ kind: 'http', status: 404 });
    expect(failures([result!])[0]?.message).toContain('open_meteo.url');
  });
});

describe('api key', () => {
  let keyed: OpenMeteoStub;
  beforeEach(async () => {
    keyed = await startOpenMeteoStub({ now: () => clock, requireApiKey: API_KEY });
  });
  afterEach(() => keyed.close());

  it('sends the configured key and succeeds', async () => {
    const [result] = await makeSource({ apiKey: new Secret(API_KEY) }, keyed.url).fetchCurrent([HELSINKI]);
    expect(result?.ok).toBe(true);
    expect(keyed.requests[0]?.params.apikey).toBe(API_KEY);
  });

  it('reports a missing key as auth and says which key to set', async () => {
    const [result] = await makeSource({}, keyed.url).fetchCurrent([HELSINKI]);
    expect(failures([result!])[0]).toMatchObject({ kind: 'auth', status: 401 });
    expect(failures([result!])[0]?.message).toContain('set open_meteo.api_key');
  });

  it('never puts the key or the query string into errors or log lines', async () => {
    const wrongKey = 'om-live-wrong-0c9d8e7f';
    const sources = [makeSource({ apiKey: new Secret(wrongKey) }, keyed.url), makeSource({ apiKey: new Secret(API_KEY), timeoutSeconds: 1 })];
    stub.enqueue({ kind: 'status', status: 500 }, { kind: 'truncated' }, { kind: 'hang' }, { kind: 'reset' }, { kind: 'status', status: 429 });
    const results: LocationResult[] = [];
    results.push(...(await sources[0]!.fetchCurrent([HELSINKI, BERLIN])));
    for (let cycle = 0; cycle < 5; cycle += 1) {
      const pending = sources[1]!.fetchCurrent([HELSINKI, BERLIN]);
      if (cycle === 2) { // the hanging request: let its 1 s deadline pass
        await waitFor(() => stub.requests.length === 3);
        await timers.advance(1000);
      }
      results.push(...(await pending));
    }
    expect(stub.requests.every((r) => r.params.apikey === API_KEY)).toBe(true);
    expect(failures(results).map((e) => e.kind)).toEqual(
      ['auth', 'http', 'bad-body', 'timeout', 'network', 'rate-limited'].flatMap((kind) => [kind, kind]),
    );
    const texts = [...failures(results).map((e) => `${e.message} ${String(e.cause ?? '')}`), ...logger.lines.map((l) => `${l.message} ${JSON.stringify(l.fields)}`)];
    for (const text of texts) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(wrongKey);
      expect(text).not.toMatch(/apikey=|latitude=/);
    }
  });
});

describe('back-off', () => {
  it('honours Retry-After: no request until it has passed', async () => {
    stub.enqueue({ kind: 'status', status: 429, retryAfter: 120 });
    const source = makeSource();
    const [first] = await source.fetchCurrent([HELSINKI]);
    expect(failures([first!])[0]).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterSeconds: 120 });
    expect(failures([first!])[0]?.message).toContain('Minutely API request limit exceeded');
    expect(failures([first!])[0]?.message).toContain('2026-11-21T10:24:31.000Z');

    clock = new Date(START.getTime() + 90_000);
    const [skipped] = await source.fetchCurrent([HELSINKI]);
    expect(stub.requests).toHaveLength(1);
    expect(failures([skipped!])[0]).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
    expect(failures([skipped!])[0]?.message).toContain('until 2026-11-21T10:24:31.000Z');

    clock = new Date(START.getTime() + 121_000);
    expect((await source.fetchCurrent([HELSINKI]))[0]?.ok).toBe(true);
    expect(stub.requests).toHaveLength(2);
  });

  it('doubles from 60 s without Retry-After and starts over after a success', async () => {
    const source = makeSource();
    const at = (seconds: number) => (clock = new Date(START.getTime() + seconds * 1000));
    const waitAfter = async (): Promise<number | undefined> => {
      const [result] = await source.fetchCurrent([HELSINKI]);
      return failures([result!])[0]?.retryAfterSeconds;
    };
    stub.enqueue({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'ok' }, { kind: 'status', status: 429 });
    expect(await waitAfter()).toBe(60);
    at(59);
    expect(await waitAfter()).toBe(1); // skipped, no request
    at(60);
    expect(await waitAfter()).toBe(120);
    at(180);
    expect(await waitAfter()).toBeUndefined(); // success
    at(181);
    expect(await waitAfter()).toBe(60);
    expect(stub.requests.map((r) => r.status)).toEqual([503, 503, 200, 429]);
  });

  it('caps the doubling at 30 minutes', async () => {
    const source = makeSource();
    stub.setDefault({ kind: 'status', status: 503 });
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 8; i += 1) {
      const [result] = await source.fetchCurrent([HELSINKI]);
      const wait = failures([result!])[0]?.retryAfterSeconds ?? 0;
      waits.push(wait);
      clock = new Date(clock.getTime() + wait * 1000);
    }
    expect(waits).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800]);
    expect(stub.requests).toHaveLength(8);
  });

  it('fails the remaining batches of the cycle without requests after a 429', async () => {
    stub.enqueue({ kind: 'ok' }, { kind: 'status', status: 429 });
    const locations = Array.from({ length: 2500 }, (_, i) => location(`s${i}`, i % 2, 0));
    const results = await makeSource().fetchCurrent(locations);
    expect(stub.requests.map((r) => r.status)).toEqual([200, 429]);
    const [first, second] = stub.requests.map((r) => r.locations);
    expect(successes(results)).toHaveLength(first ?? -1);
    expect(new Set(failures(results).map((e) => e.kind))).toEqual(new Set(['rate-limited']));
    expect(failures(results)).toHaveLength(2500 - (first ?? 0));
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.fields.locations)).toEqual([second, 2500 - (first ?? 0) - (second ?? 0)]);
  });
});

describe('shutdown', () => {
  it('rejects promptly with the abort reason while a request hangs', async () => {
    stub.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = makeSource({ timeoutSeconds: 50 }).fetchCurrent([HELSINKI], controller.signal);
    await waitFor(() => stub.requests.length === 1);
    const started = Date.now();
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toHaveLength(0);
  });

  it('rejects without a request when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(makeSource().fetchCurrent([HELSINKI], controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(stub.requests).toHaveLength(0);
  });
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
