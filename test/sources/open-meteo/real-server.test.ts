// The source against the stand-in answering as the real server does: the free API's weighted
// budget, the 303 for a key on the free host, uncovered locations, too heavy requests, gzip and
// the body details. The clock is a variable both sides read; sleeping moves it forward at once.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../agent/config/secret.ts';
import type { Location, OpenMeteoConfig } from '../../../agent/config/types.ts';
import { createOpenMeteoSource, type LocationResult } from '../../../agent/sources/open-meteo/index.ts';
import { createListLogger } from '../../helpers/list-logger.ts';
import { startOpenMeteoStub, type OpenMeteoStub, type StubOptions } from '../../helpers/open-meteo-stub.ts';

const VARIABLES = ['temperature_2m', 'wind_speed_10m', 'is_day'];
let clock: Date;
let stub: OpenMeteoStub | undefined;
let dispatcher: Agent;
let logger: ReturnType<typeof createListLogger>;
let stateDir: string;

beforeEach(async () => {
  clock = new Date('2026-11-21T10:00:05Z');
  dispatcher = new Agent();
  logger = createListLogger();
  stateDir = await mkdtemp(join(tmpdir(), 'om-state-'));
});

afterEach(async () => {
  await dispatcher.close();
  await stub?.close();
  stub = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

async function startStub(options: StubOptions): Promise<OpenMeteoStub> {
  stub = await startOpenMeteoStub({ now: () => clock, ...options });
  return stub;
}

const sleep = async (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

function makeSource(server: OpenMeteoStub, overrides: Partial<OpenMeteoConfig> = {}) {
  const config: OpenMeteoConfig = {
    url: server.url, variables: VARIABLES, schedule: '0 */3 * * *', jitterSeconds: 0, timeoutSeconds: 10, callBudget: 'free', ...overrides,
  };
  return createOpenMeteoSource({ config, logger, dispatcher, now: () => clock, sleep, stateDir });
}

function grid(count: number): Location[] {
  return Array.from({ length: count }, (_, i) => ({ id: `p${i}`, name: `p${i}`, latitude: 40 + Math.floor(i / 100) / 10, longitude: (i % 100) / 10 }));
}

const failed = (results: LocationResult[]) => results.filter((result) => !result.ok);

describe('the free API budget', () => {
  it('collects 1,000 locations in successive minutes with no 429', async () => {
    const server = await startStub({ freeApi: true });
    const results = await makeSource(server).fetchCurrent(grid(1000));
    expect(failed(results)).toEqual([]);
    expect(server.requests.map((r) => r.status)).not.toContain(429);
    expect(server.requests.every((r) => r.locations <= 600 && r.urlBytes <= 8000)).toBe(true);
    // Two requests that together exceed 600 calls are a minute apart.
    const times = server.requests.map((r) => r.time.getTime());
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(60_000);
  });

  it('without pacing the same site meets the 429 the server sends', async () => {
    const server = await startStub({ freeApi: true });
    const results = await makeSource(server, { callBudget: 'none' }).fetchCurrent(grid(1400));
    expect(server.requests.map((r) => r.status)).toContain(429);
    expect(failed(results).map((result) => !result.ok && result.error.kind)).toContain('rate-limited');
  });

  it('stops for the rest of the hour with one error line naming the budget and its reset', async () => {
    const server = await startStub({ freeApi: true });
    const source = makeSource(server);
    for (let cycle = 0; cycle < 9; cycle += 1) await source.fetchCurrent(grid(550));
    // 9 x 550 = 4,950 calls; a 10th cycle would pass 5,000 this hour.
    const before = server.requests.length;
    const results = await source.fetchCurrent(grid(550));
    expect(server.requests.length).toBe(before);
    expect(new Set(failed(results).map((result) => !result.ok && result.error.kind))).toEqual(new Set(['over-budget']));
    const [first] = failed(results);
    expect(first && !first.ok && first.error.message).toContain("the free API's hourly call budget is spent (4950 of 5000 calls used, this request needs 550); it resets at 2026-11-21T11:00:00.000Z");
    await source.fetchCurrent(grid(550));
    const errors = logger.lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ budget: 'hour', used: 4950, limit: 5000, resets_at: '2026-11-21T11:00:00.000Z' });
    expect(JSON.parse(await readFile(join(stateDir, 'open-meteo-budget.json'), 'utf8'))).toMatchObject({ hourCalls: 4950 });
    clock = new Date('2026-11-21T11:00:01Z');
    expect(failed(await source.fetchCurrent(grid(550)))).toEqual([]);
  });
});

describe('the commercial endpoint', () => {
  it('says what to change when the free host redirects a request with a key, once', async () => {
    const server = await startStub({ freeApi: true });
    const source = makeSource(server, { apiKey: new Secret('om-key-123456') });
    const [result] = await source.fetchCurrent(grid(1));
    expect(server.requests.map((r) => r.status)).toEqual([303]);
    expect(result?.ok).toBe(false);
    expect(result && !result.ok && result.error.message).toContain('Fix: set open_meteo.url = https://customer-api.open-meteo.com/v1/forecast');
    await source.fetchCurrent(grid(1));
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(JSON.stringify(logger.lines)).not.toContain('om-key-123456');
  });

  it.each([
    ['a wrong key', 'wrong-key-000', 400, 'copy the key again exactly as issued'],
    ['no key', undefined, 401, 'This endpoint needs an API key: set open_meteo.api_key'],
  ])('tells %s apart', async (_name, key, status, hint) => {
    const server = await startStub({ requireApiKey: 'right-key-123' });
    const source = makeSource(server, { callBudget: 'none', ...(key ? { apiKey: new Secret(key) } : {}) });
    const [result] = await source.fetchCurrent(grid(1));
    expect(server.requests.map((r) => r.status)).toEqual([status]);
    expect(result && !result.ok && result.error).toMatchObject({ kind: 'auth', status });
    expect(result && !result.ok && result.error.message).toContain(hint);
  });
});

describe('one location sinks a request', () => {
  it('finds an uncovered location among 1,000 with few extra requests, collects the rest, and remembers it', async () => {
    const locations = grid(1000);
    const bad = locations[737]!;
    const server = await startStub({ freeApi: true, noDataAt: [{ latitude: bad.latitude, longitude: bad.longitude }] });
    const source = makeSource(server);
    const results = await source.fetchCurrent(locations);
    const batches = 2; // 1,000 locations at 3 variables: 600 + 400 by the minute budget
    expect(results.filter((result) => result.ok)).toHaveLength(999);
    expect(failed(results)).toEqual([expect.objectContaining({ location: bad, error: expect.objectContaining({ kind: 'no-data' }) })]);
    const extra = server.requests.length - batches;
    expect(extra).toBeLessThanOrEqual(12);
    expect(server.requests.map((r) => r.status)).not.toContain(429);
    expect(JSON.parse(await readFile(join(stateDir, 'open-meteo-no-data.json'), 'utf8'))).toHaveProperty(bad.id);
    // Next cycle (a new process, even): the bad location is not asked for, nothing is searched.
    const again = createOpenMeteoSource({ config: { url: server.url, variables: VARIABLES, schedule: '0 */3 * * *', jitterSeconds: 0, timeoutSeconds: 10, callBudget: 'free' }, logger, dispatcher, now: () => clock, sleep, stateDir });
    clock = new Date(clock.getTime() + 3 * 3600_000);
    const before = server.requests.length;
    const next = await again.fetchCurrent(locations);
    expect(server.requests.length - before).toBe(batches);
    expect(failed(next)).toEqual([expect.objectContaining({ location: bad, error: expect.objectContaining({ kind: 'no-data' }) })]);
    expect(failed(next)[0]).toMatchObject({ error: { message: expect.stringContaining('No data is available for this location') } });
    // A day later it is asked for again, alone: one request, no search.
    clock = new Date(clock.getTime() + 24 * 3600_000);
    const dayLater = server.requests.length;
    const retried = await again.fetchCurrent(locations);
    expect(server.requests.slice(dayLater).map((r) => [r.status, r.locations])).toEqual([[200, 600], [200, 399], [400, 1]]);
    expect(failed(retried)).toEqual([expect.objectContaining({ location: bad, error: expect.objectContaining({ kind: 'no-data' }) })]);
  });

  it('splits a request the free API finds too heavy', async () => {
    const server = await startStub({ freeApi: { minute: 100_000, day: 100_000 } });
    const variables = ['temperature_2m', 'apparent_temperature', 'dew_point_2m', 'relative_humidity_2m', 'is_day', 'precipitation', 'rain', 'showers', 'snowfall',
      'weather_code', 'cloud_cover', 'pressure_msl', 'surface_pressure', 'wind_speed_10m', 'wind_direction_10m', 'wind_gusts_10m', 'visibility', 'uv_index'];
    const models = Array.from({ length: 10 }, (_, i) => `model_${i}`).join(',');
    // 300 locations x 18 variables x 10 models / 10 = 5,400 calls: over the hourly 5,000 in one request.
    const source = makeSource(server, { callBudget: 'none', variables, url: `${server.url}?models=${models}` });
    const results = await source.fetchCurrent(grid(300));
    expect(failed(results)).toEqual([]);
    expect(server.requests.map((r) => [r.status, r.locations])).toEqual([[400, 300], [200, 150], [200, 150]]);
  });
});

describe('body details', () => {
  it('asks for gzip and reads it; takes a body without elevation, interval 3600 and per-location time zones', async () => {
    const server = await startStub({ omitElevation: true, intervalSeconds: 3600 });
    const locations: Location[] = [{ id: 'tokyo', name: 'tokyo', latitude: 35.68, longitude: 139.69 }, { id: 'nyc', name: 'nyc', latitude: 40.71, longitude: -74.0 }];
    const results = await makeSource(server, { url: `${server.url}?timezone=auto`, callBudget: 'none' }).fetchCurrent(locations);
    expect(server.requests[0]?.gzip).toBe(true);
    expect(results.every((result) => result.ok)).toBe(true);
    const [tokyo, nyc] = results;
    if (!tokyo?.ok || !nyc?.ok) throw new Error('expected ok');
    expect(tokyo.payload).toMatchObject({ utc_offset_seconds: 9 * 3600, current: { interval: 3600 } });
    expect(tokyo.payload).not.toHaveProperty('elevation');
    expect(nyc.payload).toMatchObject({ utc_offset_seconds: -5 * 3600 });
    expect(tokyo.observedAt).toEqual(nyc.observedAt);
  });

  it('says a 200 body with a bare nan is not valid JSON', async () => {
    const server = await startStub({});
    server.enqueue({ kind: 'nan', locationIndex: 1, variable: 'temperature_2m' });
    const results = await makeSource(server, { callBudget: 'none' }).fetchCurrent(grid(2));
    expect(failed(results)).toHaveLength(2);
    expect(results[0] && !results[0].ok && results[0].error.message).toMatch(/the body is not valid JSON \(\d+ bytes, a bare nan at byte \d+\)/);
  });
});
