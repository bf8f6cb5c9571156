// The stand-in must answer like the real API, or tests of the source prove nothing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenMeteoStub, type OpenMeteoStub } from './open-meteo-stub.ts';

const NOW = new Date('2026-11-21T10:22:31Z');
let stub: OpenMeteoStub;

beforeEach(async () => {
  stub = await startOpenMeteoStub({ now: () => NOW });
});
afterEach(() => stub.close());

function ask(query: string): Promise<Response> {
  return fetch(`${stub.url}?${query}`);
}

describe('answers', () => {
  it('answers one location with a single object in the real key order', async () => {
    const response = await ask('latitude=60.17&longitude=24.94&current=temperature_2m,is_day');
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'latitude', 'longitude', 'generationtime_ms', 'utc_offset_seconds', 'timezone', 'timezone_abbreviation', 'elevation',
      'current_units', 'current',
    ]);
    expect(body).toMatchObject({
      utc_offset_seconds: 0, timezone: 'GMT', timezone_abbreviation: 'GMT',
      current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', is_day: '' },
      current: { time: '2026-11-21T10:15', interval: 900, temperature_2m: expect.any(Number), is_day: 1 },
    });
    expect(stub.requests).toMatchObject([{ path: '/v1/forecast', locations: 1, status: 200, behaviour: 'ok' }]);
    expect(stub.served).toEqual([{ latitude: 60.17, longitude: 24.94, time: '2026-11-21T10:15' }]);
  });

  it('answers several locations with an array, location_id on all but the first, values deterministic', async () => {
    const query = 'latitude=60.17,52.52,-33.87&longitude=24.94,13.41,151.21&current=temperature_2m';
    const first = (await (await ask(query)).json()) as Record<string, unknown>[];
    const second = (await (await ask(query)).json()) as Record<string, unknown>[];
    expect(first).toHaveLength(3);
    expect(first.map((e) => e.location_id)).toEqual([undefined, 1, 2]);
    expect(second).toEqual(first);
    expect(new Set(first.map((e) => (e.current as Record<string, number>).temperature_2m)).size).toBeGreaterThan(1);
  });

  it('gives local time for a timezone and epoch seconds for timeformat=unixtime', async () => {
    const local = (await (await ask('latitude=1&longitude=2&current=rain&timezone=Asia/Kolkata')).json()) as Record<string, unknown>;
    expect(local).toMatchObject({ utc_offset_seconds: 19800, timezone: 'Asia/Kolkata', current: { time: '2026-11-21T15:45' } });
    const unix = (await (await ask('latitude=1&longitude=2&current=rain&timeformat=unixtime')).json()) as Record<string, unknown>;
    expect(unix).toMatchObject({ current_units: { time: 'unixtime' }, current: { time: Date.parse('2026-11-21T10:15:00Z') / 1000 } });
  });
});

describe('real errors', () => {
  const many = Array.from({ length: 1001 }, () => '1').join(',');
  it.each([
    ['latitude=1&longitude=2&current=tempeture_2m', 400, "Data corrupted at path ''. Cannot initialize SurfacePressureAndHeightVariable from invalid String value tempeture_2m."],
    ['latitude=1,2&longitude=2&current=rain', 400, "Parameter 'latitude' and 'longitude' must have the same number of elements"],
    ['latitude=91&longitude=2&current=rain', 400, 'Latitude must be in range of -90 to 90°. Given: 91.'],
    [`latitude=${many}&longitude=${many}&current=rain`, 400, "Parameter 'latitude' and 'longitude' must not exceed 1000 coordinates."],
    ['latitude=1&longitude=2&current=rain&timezone=Mars/Olympus', 400, 'Invalid timezone'],
  ])('%s -> %i', async (query, status, reason) => {
    const response = await ask(query);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: true, reason });
    expect(stub.served).toEqual([]);
  });

  it('asks for the api key when one is required', async () => {
    const keyed = await startOpenMeteoStub({ requireApiKey: 'key-123456' });
    try {
      const base = `${keyed.url}?latitude=1&longitude=2&current=rain`;
      const missing = await fetch(base);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ error: true, reason: 'API key required. Please add &apikey= to the URL.' });
      const wrong = await fetch(`${base}&apikey=nope`);
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toEqual({ error: true, reason: 'The supplied API key is invalid.' });
      expect((await fetch(`${base}&apikey=key-123456`)).status).toBe(200);
      expect(keyed.requests.map((r) => r.status)).toEqual([401, 400, 200]);
    } finally {
      await keyed.close();
    }
  });
});

describe('behaviours', () => {
  const query = 'latitude=1,2&longitude=3,4&current=rain,is_day';

  it('applies queued behaviours in order, then the default', async () => {
    stub.enqueue({ kind: 'status', status: 429, retryAfter: 60 }, { kind: 'status', status: 503 });
    stub.setDefault({ kind: 'status', status: 500, reason: 'boom' });
    const throttled = await ask(query);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
    expect(await throttled.json()).toEqual({ error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' });
    expect(await (await ask(query)).json()).toEqual({ error: true, reason: 'The service is overloaded' });
    expect(await (await ask(query)).json()).toEqual({ error: true, reason: 'boom' });
    expect(stub.requests.map((r) => r.status)).toEqual([429, 503, 500]);
  });

  it('truncates a 200 body with the streaming-error trailer', async () => {
    stub.enqueue({ kind: 'truncated' });
    const response = await ask(query);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^\[\{"latitude".*Unexpected error while streaming data: \w+$/s);
    expect(() => JSON.parse(text)).toThrow();
    expect(stub.served).toEqual([]);
  });

  it('resets the connection', async () => {
    stub.enqueue({ kind: 'reset' });
    await expect(ask(query)).rejects.toThrow();
    expect(stub.requests[0]?.status).toBeUndefined();
  });

  it('answers late when slow', async () => {
    stub.enqueue({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    expect((await ask(query)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('hangs until closed', async () => {
    stub.enqueue({ kind: 'hang' });
    const pending = ask(query);
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stub.requests[0]?.status).toBeUndefined();
    await stub.close();
    await expect(pending).rejects.toThrow();
    stub = await startOpenMeteoStub(); // for afterEach
  });

  it.each([
    [undefined, (e: Record<string, unknown>) => expect(e.current).toBeUndefined()],
    ['time', (e: Record<string, unknown>) => expect(e.current).not.toHaveProperty('time')],
    ['rain', (e: Record<string, unknown>) => expect(e.current).not.toHaveProperty('rain')],
  ])('drops %s for one location and leaves it out of served', async (field, check) => {
    stub.enqueue({ kind: 'drop-current', locationIndex: 1, ...(field ? { field } : {}) });
    const body = (await (await ask(query)).json()) as Record<string, unknown>[];
    check(body[1] as Record<string, unknown>);
    expect(body[0]?.current).toHaveProperty('rain');
    expect(stub.served.map((s) => s.latitude)).toEqual([1]);
  });
});

describe('the real server\'s access rules', () => {
  const coordinates = (count: number) => Array.from({ length: count }, (_, i) => (i % 80) + 0.5).join(',');
  const query = (count: number, extra = '') => `latitude=${coordinates(count)}&longitude=${coordinates(count)}&current=rain${extra}`;

  it('counts weighted calls per minute, hour and UTC day, refuses with the real reasons and no Retry-After, and resets', async () => {
    let clock = new Date('2026-11-21T10:00:10Z');
    const free = await startOpenMeteoStub({ freeApi: { minute: 10, hour: 25, day: 40 }, now: () => clock });
    try {
      const get = (q: string) => fetch(`${free.url}?${q}`);
      expect((await get(query(12))).status).toBe(200); // allowed while under the limit, then counted in full
      const minute = await get(query(1));
      expect(minute.status).toBe(429);
      expect(minute.headers.get('retry-after')).toBeNull();
      expect(await minute.json()).toEqual({ error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' });
      expect(free.usage()).toEqual({ minute: 12, hour: 12, day: 12 });
      clock = new Date('2026-11-21T10:01:00Z');
      expect((await get(query(14, ',temperature_2m,is_day,wind_speed_10m,weather_code,cloud_cover,snowfall,showers,uv_index,visibility,pressure_msl'))).status).toBe(200);
      expect(free.requests.at(-1)?.calls).toBe(14 * 1.1);
      clock = new Date('2026-11-21T10:02:00Z');
      expect(await (await get(query(1))).json()).toEqual({ error: true, reason: 'Hourly API request limit exceeded. Please try again in the next hour.' });
      clock = new Date('2026-11-21T11:00:00Z');
      expect((await get(query(20))).status).toBe(200); // a new hour; the day now holds 47.4 calls
      clock = new Date('2026-11-21T12:00:00Z');
      expect(await (await get(query(1))).json()).toEqual({ error: true, reason: 'Daily API request limit exceeded. Please try again tomorrow.' });
      clock = new Date('2026-11-22T00:00:00Z');
      expect((await get(query(1))).status).toBe(200);
    } finally {
      await free.close();
    }
  });

  it('answers an apikey on the free host with a 303 to the customer host and no body, or a 400 when that URL is too long', async () => {
    const free = await startOpenMeteoStub({ freeApi: true });
    try {
      const redirect = await fetch(`${free.url}?${query(2, '&apikey=k-123')}`, { redirect: 'manual' });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get('location')).toMatch(/^https:\/\/customer-api\.open-meteo\.com\/v1\/forecast\?latitude=/);
      expect(await redirect.text()).toBe('');
      const long = await fetch(`${free.url}?${query(400, '&apikey=k-123')}`, { redirect: 'manual' });
      expect(long.status).toBe(400);
      expect(((await long.json()) as { reason: string }).reason).toMatch(/^Your API URL is too long for automatic redirection/);
      expect(free.usage().minute).toBe(1); // the 303 costs nothing, the 400 one call
    } finally {
      await free.close();
    }
  });

  it('refuses a request holding an uncovered location, or one heavier than the hourly limit, as a whole', async () => {
    const free = await startOpenMeteoStub({ freeApi: { minute: 100_000, day: 100_000, hour: 50 }, noDataAt: [{ latitude: 3.5, longitude: 3.5 }] });
    try {
      const noData = await fetch(`${free.url}?${query(5)}`);
      expect(noData.status).toBe(400);
      expect(await noData.json()).toEqual({ error: true, reason: 'No data is available for this location' });
      const heavy = await fetch(`${free.url}?latitude=${'10.5,'.repeat(50)}10.5&longitude=${'10.5,'.repeat(50)}10.5&current=rain`);
      expect(heavy.status).toBe(400);
      expect(((await heavy.json()) as { reason: string }).reason).toContain('requests too much data');
    } finally {
      await free.close();
    }
  });

  it('gzips when asked, can leave out elevation, report interval 3600, write a bare nan, and refuse long URLs with 414', async () => {
    const odd = await startOpenMeteoStub({ omitElevation: true, intervalSeconds: 3600, maxUrlBytes: 200 });
    try {
      const { request } = await import('undici');
      const zipped = await request(`${odd.url}?${query(1)}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      const { gunzipSync } = await import('node:zlib');
      const body = JSON.parse(gunzipSync(Buffer.from(await zipped.body.arrayBuffer())).toString()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('elevation');
      expect(body.current).toMatchObject({ interval: 3600 });
      odd.enqueue({ kind: 'nan', locationIndex: 0, variable: 'rain' });
      expect(await (await fetch(`${odd.url}?${query(1)}`)).text()).toContain('"rain":nan');
      expect((await fetch(`${odd.url}?${query(30)}`)).status).toBe(414);
    } finally {
      await odd.close();
    }
  });
});

describe('standalone', () => {
  it('listens on the given port and prints its URL when run directly', async () => {
    const file = fileURLToPath(new URL('./open-meteo-stub.ts', import.meta.url));
    const child = spawn(process.execPath, [file, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1\/forecast)/.exec(chunk.toString())?.[1];
      expect(url).toBeDefined();
      const response = await fetch(`${url}?latitude=1&longitude=2&current=rain`);
      expect(response.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
