// The real CLI against the Open-Meteo stand-in answering as the real server does (issue 11): the
// free API's weighted budget, the commercial endpoint and its key errors, an uncovered location,
// error wording, body details, long URLs through a proxy with a URL limit, and '?' in the url.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, readLogs, recordsInBucket, runCli, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub, type StubOptions } from '../helpers/open-meteo-stub.ts';
import { startTestProxy } from '../helpers/proxy.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';

const noProxyEnv = { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' };

function gridLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `p${i} = ${(40 + Math.floor(i / 100) / 10).toFixed(1)}, ${((i % 100) / 10).toFixed(1)}`);
}

async function editConfig(site: Site, edit: (text: string) => string): Promise<void> {
  await writeFile(site.configFile, edit(await readFile(site.configFile, 'utf8')));
}

describe('Open-Meteo as the real service behaves', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub | undefined;
  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
  });
  afterEach(async () => {
    await openMeteo?.close();
    openMeteo = undefined;
    await s3.close();
  });

  async function site(stub: StubOptions, options: { locations?: string[]; openMeteoExtra?: string; extra?: string } = {}): Promise<Site> {
    openMeteo = await startOpenMeteoStub(stub);
    const created = await createSite({ dir: await tempDir(), s3, openMeteo, ...(options.locations ? { locations: options.locations } : {}), ...(options.extra ? { extra: options.extra } : {}) });
    if (options.openMeteoExtra) await editConfig(created, (text) => text.replace('jitter_seconds = 0', `jitter_seconds = 0\n${options.openMeteoExtra}`));
    return created;
  }

  it('validate refuses a free-API site over the daily budget with the numbers and both fixes, and accepts 1,000 locations every 3 hours', async () => {
    const over = await site({}, { locations: gridLines(200) });
    await editConfig(over, (text) => text.replace(/^url = .*$/m, 'url = https://api.open-meteo.com/v1/forecast').replace(/^schedule = .*$/m, 'schedule = */15 * * * *'));
    const refused = await runCli(['validate', '-c', over.configFile]);
    expect(refused.code).toBe(ExitCode.invalidConfig);
    expect(refused.stdout).toContain('open_meteo.schedule: 200 location(s) x 3 variable(s) = 200 call(s) per cycle (each location costs max(1, variables/10) calls), 96 cycle(s) per day: 800 call(s) in the busiest hour (limit 5000), 19200 per day (limit 10000): over the free API\'s daily limit of 10000 calls; fix: fewer locations or variables, or a less frequent open_meteo.schedule; or the commercial endpoint (url = https://customer-api.open-meteo.com/v1/forecast with open_meteo.api_key)');
    const fits = await site({}, { locations: gridLines(1000) });
    await editConfig(fits, (text) => text.replace(/^url = .*$/m, 'url = https://api.open-meteo.com/v1/forecast').replace(/^schedule = .*$/m, 'schedule = 0 */3 * * *'));
    const accepted = await runCli(['validate', '-c', fits.configFile]);
    expect(accepted.stdout).toContain('valid (0 warning(s))');
    expect(accepted.code).toBe(ExitCode.ok);
  });

  it('run paces into the next minute, stops for the hour once the budget is spent with one error line, and status shows the use', async () => {
    const created = await site({ freeApi: true }, { openMeteoExtra: 'call_budget = free' });
    await editConfig(created, (text) => text.replace(/^schedule = .*$/m, 'schedule = 0 */3 * * *'));
    const now = Date.now();
    const hour = new Date(now).toISOString().slice(0, 13);
    const ledger = (hourCalls: number, recent: [number, number][]) => JSON.stringify({ hour, hourCalls, day: hour.slice(0, 10), dayCalls: hourCalls, recent });
    await mkdir(join(created.storageDir, 'state'), { recursive: true });
    // The last minute already holds 599 calls, from 57 s ago: the 2 calls of this cycle wait ~4 s.
    await writeFile(join(created.storageDir, 'state', 'open-meteo-budget.json'), ledger(599, [[now - 57_000, 599]]));
    const started = Date.now();
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.ok);
    expect(openMeteo!.requests).toHaveLength(1);
    expect(openMeteo!.requests[0]!.time.getTime() - started).toBeGreaterThanOrEqual(2500);
    expect(await readLogs(created)).toMatch(logLine('open-meteo', LogEvents.waitingForBudget));

    await writeFile(join(created.storageDir, 'state', 'open-meteo-budget.json'), ledger(4999, []));
    const spent = await runCli(['once', '-c', created.configFile]);
    expect(spent.code).toBe(ExitCode.partial);
    expect(openMeteo!.requests).toHaveLength(1);
    const logs = await readLogs(created);
    expect(logs.match(logLine('open-meteo', LogEvents.budgetSpent, '', true))).toHaveLength(1);
    expect(logs).toMatch(/budget=hour.*used=4999.*limit=5000/);
    const status = await runCli(['status', '-c', created.configFile]);
    expect(status.stdout).toMatch(/Open-Meteo: {3}free API calls used: \d+ of 600 in the last minute, 4999 of 5000 this hour, 4999 of 10000 today \(UTC\)/);
  });

  it('says exactly what to change when the free host answers a key with 303, and tells a wrong key from a missing one', async () => {
    const redirected = await site({ freeApi: true }, { openMeteoExtra: 'api_key = om-key-SECRET-42x' });
    expect((await runCli(['once', '-c', redirected.configFile])).code).toBe(ExitCode.partial);
    expect(openMeteo!.requests.map((r) => r.status)).toEqual([303]);
    const logs = await readLogs(redirected);
    expect(logs).toContain('the free endpoint takes no key and redirects such requests to the commercial endpoint, so no data was sent. Fix: set open_meteo.url = https://customer-api.open-meteo.com/v1/forecast');
    expect(logs).not.toContain('om-key-SECRET-42x');
    await openMeteo!.close();

    for (const [key, status, text] of [['wrong-key-123', 400, 'copy the key again exactly as issued'], [undefined, 401, 'This endpoint needs an API key: set open_meteo.api_key']] as const) {
      const keyed = await site({ requireApiKey: 'right-key-456' }, key ? { openMeteoExtra: `api_key = ${key}` } : {});
      expect((await runCli(['once', '-c', keyed.configFile])).code).toBe(ExitCode.partial);
      expect(openMeteo!.requests.map((r) => r.status)).toEqual([status]);
      expect(await readLogs(keyed)).toContain(text);
      await openMeteo!.close();
    }
    openMeteo = undefined;
  });

  it('collects the other locations when one has no data, marks it no-data in agent_status, and does not search for it again', async () => {
    const created = await site({ noDataAt: [{ latitude: 0.5, longitude: -160.5 }] }, {
      locations: ['helsinki = 60.1695, 24.9354', 'pacific = 0.5, -160.5', 'oslo = 59.91, 10.75'],
    });
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.partial);
    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    const observed = records.filter((r) => r.record_type === 'observation').map((r) => (r.location as { id: string }).id);
    expect(observed.sort()).toEqual(['helsinki', 'oslo']);
    const status = records.find((r) => r.record_type === 'agent_status') as { cycle: { locations: unknown[] } };
    expect(status.cycle.locations).toContainEqual({ id: 'pacific', outcome: 'failed', error_class: 'no-data' });
    expect(await readLogs(created)).toMatch(logLine('open-meteo', LogEvents.noDataForLocation, 'location=pacific'));
    const first = openMeteo!.requests.length;
    expect(first).toBeLessThanOrEqual(4);
    expect(JSON.parse(await readFile(join(created.storageDir, 'state', 'open-meteo-no-data.json'), 'utf8'))).toHaveProperty('pacific');
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.partial);
    expect(openMeteo!.requests.length - first).toBe(1);
    expect((await runCli(['status', '-c', created.configFile])).stdout).toContain('no data for location pacific since');
  });

  it('names the configured variable whatever the wording of the server\'s reason', async () => {
    const created = await site({});
    await editConfig(created, (text) => text.replace('variables = temperature_2m, wind_speed_10m, is_day', 'variables = temperature_2m, tempeture_2m'));
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.partial);
    const logs = await readLogs(created);
    expect(logs).toContain("Data corrupted at path ''. Cannot initialize SurfacePressureAndHeightVariable from invalid String value tempeture_2m");
    expect(logs).toContain('Open-Meteo does not accept \\"tempeture_2m\\"');
  });

  it('reads gzip, answers without elevation, interval 3600, per-location time zones and models= in the url; says "not valid JSON" for a bare nan', async () => {
    const created = await site({ omitElevation: true, intervalSeconds: 3600 });
    await editConfig(created, (text) => text.replace(/^url = (.*)$/m, 'url = $1?models=icon_seamless&timezone=auto'));
    expect((await runCli(['validate', '-c', created.configFile])).code).toBe(ExitCode.ok);
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.ok);
    expect(openMeteo!.requests[0]).toMatchObject({ gzip: true, params: { models: 'icon_seamless', timezone: 'auto' } });
    const observations = (await recordsInBucket(s3)).map((entry) => entry.record).filter((r) => r.record_type === 'observation');
    expect(observations).toHaveLength(2);
    openMeteo!.enqueue({ kind: 'nan', locationIndex: 1, variable: 'temperature_2m' });
    expect((await runCli(['once', '-c', created.configFile])).code).toBe(ExitCode.partial);
    expect(await readLogs(created)).toMatch(/the body is not valid JSON \(\d+ bytes, a bare nan at byte \d+\)/);
  });

  it('keeps every request URL under 8,000 bytes, so 1,000 locations pass a proxy that refuses longer ones with 414', async () => {
    const proxy = await startTestProxy({ maxUrlBytes: 8192 });
    try {
      const created = await site({}, { locations: gridLines(1000), extra: `[network]\nproxy = ${proxy.url}\n` });
      expect((await runCli(['once', '-c', created.configFile], { env: noProxyEnv })).code).toBe(ExitCode.ok);
      expect(openMeteo!.requests.length).toBeGreaterThan(1);
      expect(openMeteo!.requests.every((r) => r.status === 200 && r.urlBytes <= 8000)).toBe(true);
      expect(proxy.requests.filter((r) => r.target.includes('/v1/forecast'))).toHaveLength(openMeteo!.requests.length);
      expect(openMeteo!.served).toHaveLength(1000);
    } finally {
      await proxy.close();
    }
  });
});
