// One collection cycle in-process with the real source, spool, status store and S3 sink, against
// a real S3-protocol server and an HTTP server on 127.0.0.1 that answers what each test sets:
// the hostile answers (future times, absurd offsets, deep nesting, reordered results) that the
// Open-Meteo stand-in never sends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.ts';
import { runCollectCycle, type CollectDeps } from '../../agent/jobs/collect.ts';
import { alreadyWritten } from '../../agent/jobs/observation-memory.ts';
import { createS3Sink, loadCredentialsFile } from '../../agent/sinks/s3/sink.ts';
import { createOpenMeteoSource } from '../../agent/sources/open-meteo/index.ts';
import { createSpool } from '../../agent/spool/spool.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { BUCKET, createSite, recordsInBucket } from '../helpers/agent-site.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import type { OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';

const HELSINKI = { latitude: 60.1695, longitude: 24.9354 };
const JYVASKYLA = { latitude: 62.2415, longitude: 25.7209 };

function element(at: { latitude: number; longitude: number }, time: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    latitude: at.latitude, longitude: at.longitude, generationtime_ms: 0.05, utc_offset_seconds: 0, timezone: 'GMT',
    timezone_abbreviation: 'GMT', elevation: 9,
    current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', wind_speed_10m: 'km/h', is_day: '' },
    current: { time, interval: 900, temperature_2m: 1.5, wind_speed_10m: 3, is_day: 1 },
    ...extra,
  };
}

/** Two results in the real shape: the second carries location_id 1. */
function answer(first: Record<string, unknown>, second: Record<string, unknown>): string {
  // JSON.stringify cannot write the deep value itself (that is the point): it goes in as text.
  return JSON.stringify([first, { ...second, location_id: 1 }]).replace('"<deep>"', '['.repeat(200_000) + ']'.repeat(200_000));
}

describe('runCollectCycle with hostile Open-Meteo answers', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let server: Server;
  let body: string;
  let clock: Date;
  let dispatcher: Agent;
  let logger: ReturnType<typeof createListLogger>;

  beforeEach(async () => {
    clock = new Date('2026-11-21T10:05:00.000Z');
    s3 = await startS3Server({ buckets: [BUCKET] });
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dispatcher = new Agent();
    logger = createListLogger();
  });
  afterEach(async () => {
    await dispatcher.close();
    await new Promise((resolve) => server.close(resolve));
    await s3.close();
  });

  async function makeDeps(): Promise<CollectDeps> {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/forecast`;
    const site = await createSite({ dir: await tempDir(), s3, openMeteo: { url } as OpenMeteoStub });
    const { config } = await loadConfig(site.configFile);
    const { credentials } = await loadCredentialsFile(config.s3.credentialsFile!);
    const spool = createSpool(config.storage.dir);
    await spool.prepare();
    const now = () => clock;
    return {
      config,
      source: createOpenMeteoSource({ config: config.openMeteo, logger, dispatcher, now }),
      sink: createS3Sink({ config: config.s3, logger, credentials }),
      spool,
      store: createStatusStore(config.storage.dir, '0.0.0-test'),
      logger,
      identity: { version: '0.0.0-test', host: 'test-host' },
      now,
    };
  }

  async function observations(): Promise<{ location: string; observed_at: string; latitude: unknown }[]> {
    return (await recordsInBucket(s3))
      .map((entry) => entry.record)
      .filter((record) => record.record_type === 'observation')
      .map((record) => ({
        location: (record.location as { id: string }).id,
        observed_at: record.observed_at as string,
        latitude: (record.payload as { latitude: unknown }).latitude,
      }));
  }

  async function statusRecords(): Promise<{ locations: unknown[]; outcome: string }[]> {
    return (await recordsInBucket(s3))
      .map((entry) => entry.record)
      .filter((record) => record.record_type === 'agent_status')
      .map((record) => record.cycle as { locations: unknown[]; outcome: string });
  }

  it('fails a location whose time is in 2099, remembers nothing for it, and takes its next real value', async () => {
    const deps = await makeDeps();
    body = answer(element(HELSINKI, '2099-01-01T00:00'), element(JYVASKYLA, '2026-11-21T10:00'));
    const first = await runCollectCycle(deps);
    expect(first).toMatchObject({ outcome: 'partial', locationsOk: 1, locationsFailed: 1 });
    const state = await deps.store.read();
    expect(state.locations.helsinki?.lastObservedAt).toBeUndefined();
    expect(state.lastError?.message).toContain('ahead of this server');
    expect((await statusRecords())[0]?.locations).toEqual([
      { id: 'helsinki', outcome: 'failed', error_class: 'bad-time' },
      { id: 'jyvaskyla', outcome: 'ok' },
    ]);

    clock = new Date('2026-11-21T10:20:00.000Z');
    body = answer(element(HELSINKI, '2026-11-21T10:15'), element(JYVASKYLA, '2026-11-21T10:15'));
    expect(await runCollectCycle(deps)).toMatchObject({ outcome: 'ok', locationsOk: 2 });
    expect((await observations()).filter((o) => o.location === 'helsinki').map((o) => o.observed_at)).toEqual(['2026-11-21T10:15:00.000Z']);
  });

  it('does not let a future last-observed time from an older version hold data back', async () => {
    const deps = await makeDeps();
    await deps.store.update((state) => {
      state.locations.helsinki = { lastObservedAt: '2099-01-01T00:00:00.000Z' };
    });
    body = answer(element(HELSINKI, '2026-11-21T10:00'), element(JYVASKYLA, '2026-11-21T10:00'));
    await runCollectCycle(deps);
    expect((await observations()).map((o) => o.location).sort()).toEqual(['helsinki', 'jyvaskyla']);
    expect((await deps.store.read()).locations.helsinki?.lastObservedAt).toBe('2026-11-21T10:00:00.000Z');
  });

  it('still writes a polled-again observation only once', async () => {
    const deps = await makeDeps();
    body = answer(element(HELSINKI, '2026-11-21T10:00'), element(JYVASKYLA, '2026-11-21T10:00'));
    await runCollectCycle(deps);
    clock = new Date('2026-11-21T10:06:00.000Z');
    await runCollectCycle(deps);
    expect(await observations()).toHaveLength(2);
    expect(await statusRecords()).toHaveLength(2);
  });

  it('writes each observation once even when the source flaps back to earlier slots, and never drops an unwritten one', async () => {
    const deps = await makeDeps();
    const poll = async (time: string, clockAt: string) => {
      clock = new Date(clockAt);
      body = answer(element(HELSINKI, time), element(JYVASKYLA, time));
      await runCollectCycle(deps);
    };
    await poll('2026-11-21T10:00', '2026-11-21T10:05:00Z');
    await poll('2026-11-21T10:15', '2026-11-21T10:20:00Z');
    await poll('2026-11-21T10:00', '2026-11-21T10:21:00Z'); // a cache node one slot behind
    await poll('2026-11-21T09:45', '2026-11-21T10:22:00Z'); // never written before: kept
    await poll('2026-11-21T10:15', '2026-11-21T10:23:00Z');
    const helsinki = (await observations()).filter((o) => o.location === 'helsinki').map((o) => o.observed_at).sort();
    expect(helsinki).toEqual(['2026-11-21T09:45:00.000Z', '2026-11-21T10:00:00.000Z', '2026-11-21T10:15:00.000Z']);
    expect((await deps.store.read()).locations.helsinki?.lastObservedAt).toBe('2026-11-21T10:15:00.000Z');
  });

  it.each([
    ['utc_offset_seconds = 1e13', element(HELSINKI, '2026-11-21T10:00', { utc_offset_seconds: 1e13 }), 'not a real UTC offset', 'bad-time'],
    ['an impossible date', element(HELSINKI, '2026-02-31T25:61'), 'not a real time', 'bad-time'],
    ['a value nested 200,000 deep', element(HELSINKI, '2026-11-21T10:00', { extra: '<deep>' }), 'nests more than', 'bad-body'],
  ])('fails only the location with %s and still writes the agent_status record', async (_name, bad, problem, errorClass) => {
    const deps = await makeDeps();
    body = answer(bad, element(JYVASKYLA, '2026-11-21T10:00'));
    expect(await runCollectCycle(deps)).toMatchObject({ outcome: 'partial', locationsOk: 1, locationsFailed: 1, delivery: 'uploaded' });
    expect((await observations()).map((o) => o.location)).toEqual(['jyvaskyla']);
    expect((await statusRecords())[0]?.outcome).toBe('partial');
    expect((await statusRecords())[0]?.locations[0]).toEqual({ id: 'helsinki', outcome: 'failed', error_class: errorClass });
    expect((await deps.store.read()).lastError?.message).toContain(problem);
  });

  it('labels each result by its location_id when the answer comes back reordered', async () => {
    const deps = await makeDeps();
    body = JSON.stringify([{ ...element(JYVASKYLA, '2026-11-21T10:00'), location_id: 1 }, element(HELSINKI, '2026-11-21T10:00')]);
    await runCollectCycle(deps);
    const byLocation = Object.fromEntries((await observations()).map((o) => [o.location, o.latitude]));
    expect(byLocation).toEqual({ helsinki: HELSINKI.latitude, jyvaskyla: JYVASKYLA.latitude });
  });

  it('fails a result whose coordinates are far from the requested ones', async () => {
    const deps = await makeDeps();
    body = answer(element({ latitude: 52.52, longitude: 13.41 }, '2026-11-21T10:00'), element(JYVASKYLA, '2026-11-21T10:00'));
    expect(await runCollectCycle(deps)).toMatchObject({ locationsOk: 1, locationsFailed: 1 });
    expect((await deps.store.read()).lastError?.message).toContain('more than 1 degree from the requested');
  });
});

describe('runCollectCycle when the source itself breaks', () => {
  const tempDir = useTempDirs();

  it('reports every location as failed and still uploads the agent_status record', async () => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    try {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo: { url: 'http://127.0.0.1:9/v1/forecast' } as OpenMeteoStub });
      const { config } = await loadConfig(site.configFile);
      const { credentials } = await loadCredentialsFile(config.s3.credentialsFile!);
      const spool = createSpool(config.storage.dir);
      await spool.prepare();
      const logger = createListLogger();
      // A source with a bug (not a SourceError): the one dependency replaced, to reach this path.
      const source = { fetchCurrent: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'time')")) };
      const deps: CollectDeps = {
        config, source, spool, logger,
        sink: createS3Sink({ config: config.s3, logger, credentials }),
        store: createStatusStore(config.storage.dir, '0.0.0-test'),
        identity: { version: '0.0.0-test', host: 'test-host' },
      };
      expect(await runCollectCycle(deps)).toMatchObject({ outcome: 'failed', locationsOk: 0, locationsFailed: 2, delivery: 'uploaded' });
      const records = (await recordsInBucket(s3)).map((entry) => entry.record);
      expect(records.map((record) => record.record_type)).toEqual(['agent_status']);
      expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.event)).toEqual([LogEvents.answerUnreadable.name]);
    } finally {
      await s3.close();
    }
  });
});

describe('alreadyWritten', () => {
  const at = (time: string) => new Date(time);
  const seconds = (time: string) => new Date(time).getTime() / 1000;

  it.each([
    ['the same time as the last one', at('2026-11-21T10:15:00Z'), { lastObservedAt: '2026-11-21T10:15:00.000Z' }, true],
    ['a time among the recent ones (the source flapped back)', at('2026-11-21T09:45:00Z'), { lastObservedAt: '2026-11-21T10:15:00.000Z', recentObservedAt: [seconds('2026-11-21T09:45:00Z'), seconds('2026-11-21T10:15:00Z')] }, true],
    ['a newer time', at('2026-11-21T10:30:00Z'), { lastObservedAt: '2026-11-21T10:15:00.000Z', recentObservedAt: [seconds('2026-11-21T10:15:00Z')] }, false],
    ['an older time never written', at('2026-11-21T10:10:00Z'), { lastObservedAt: '2026-11-21T10:15:00.000Z', recentObservedAt: [seconds('2026-11-21T10:15:00Z')] }, false],
    ['any time, when 2099 was remembered', at('2026-11-21T10:15:00Z'), { lastObservedAt: '2099-01-01T00:00:00.000Z' }, false],
    ['nothing remembered', at('2026-11-21T10:15:00Z'), undefined, false],
  ])('%s', (_name, observedAt, location, expected) => {
    expect(alreadyWritten(observedAt, location)).toBe(expected);
  });
});
