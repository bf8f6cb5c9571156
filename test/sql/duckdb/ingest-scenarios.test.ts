// The deployed sql/ scripts on DuckDB, fed with files built by the agent's own code: what lands in
// RAW, what the merges make of it, and what they refuse. Each scenario starts from a fresh deploy.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentStatus, cycleFile, HEL, observation, OULU, packOf, PREFIX, TRE } from './fixture-files.ts';
import { curated, DB, deliverAll, deployedWarehouse, monitoring, rawCount } from './scenario-helpers.ts';
import type { Warehouse } from './warehouse.ts';

const T10 = '2026-11-21T10:00:00.000Z';
const T1015 = '2026-11-21T10:15:00.000Z';
const ok = [{ id: 'hel', outcome: 'ok' as const }, { id: 'tre', outcome: 'ok' as const }];

const acme10 = () => cycleFile('acme', T10, [
  observation('acme', HEL, T10, '2026-11-21T10:00:02.000Z', -1.3),
  observation('acme', TRE, T10, '2026-11-21T10:00:03.000Z', -4.0),
  agentStatus('acme', T10, ok),
]);
const acme1015 = () => cycleFile('acme', T1015, [
  observation('acme', HEL, T1015, '2026-11-21T10:15:02.000Z', -1.1),
  observation('acme', TRE, T1015, '2026-11-21T10:15:03.000Z', -3.5),
  agentStatus('acme', T1015, ok),
]);
const beta10 = () => cycleFile('beta', T10, [observation('beta', OULU, T10, '2026-11-21T10:00:04.000Z', -9.2), agentStatus('beta', T10, [{ id: 'oulu', outcome: 'ok' }])]);

describe('sql/ on DuckDB: ingestion and merges', () => {
  let w: Warehouse;
  beforeEach(async () => {
    w = await deployedWarehouse();
  });
  afterEach(() => w.close());

  it('first load: two customers land in RAW and every curated table', async () => {
    await deliverAll(w, acme10(), beta10());
    expect(await rawCount(w)).toBe(5);
    expect((await w.mergeAll()).map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await curated(w, 'CUSTOMERS', 'customer_id, first_seen_at, last_seen_at, agent_version, agent_host')).toEqual([
      { customer_id: 'acme', first_seen_at: '2026-11-21T10:00:01.500Z', last_seen_at: '2026-11-21T10:00:03.000Z', agent_version: '0.1.0', agent_host: 'site-a-srv01' },
      { customer_id: 'beta', first_seen_at: '2026-11-21T10:00:01.500Z', last_seen_at: '2026-11-21T10:00:04.000Z', agent_version: '0.1.0', agent_host: 'site-a-srv01' },
    ]);
    expect(await curated(w, 'LOCATIONS', 'customer_id, location_id, location_name, latitude, first_seen_at, last_seen_at')).toEqual([
      { customer_id: 'acme', location_id: 'hel', location_name: 'Helsinki depot', latitude: 60.17, first_seen_at: '2026-11-21T10:00:00.000Z', last_seen_at: '2026-11-21T10:00:00.000Z' },
      { customer_id: 'acme', location_id: 'tre', location_name: 'Tampere', latitude: 61.5, first_seen_at: '2026-11-21T10:00:00.000Z', last_seen_at: '2026-11-21T10:00:00.000Z' },
      { customer_id: 'beta', location_id: 'oulu', location_name: 'Oulu', latitude: 65.01, first_seen_at: '2026-11-21T10:00:00.000Z', last_seen_at: '2026-11-21T10:00:00.000Z' },
    ]);
    const common = await w.query(`SELECT customer_id, location_id, temperature_2m, wind_speed_10m FROM ${DB}.CURATED.WEATHER_COMMON ORDER BY ALL`);
    expect(common).toEqual([
      { customer_id: 'acme', location_id: 'hel', temperature_2m: -1.3, wind_speed_10m: 14.2 },
      { customer_id: 'acme', location_id: 'tre', temperature_2m: -4, wind_speed_10m: 14.2 },
      { customer_id: 'beta', location_id: 'oulu', temperature_2m: -9.2, wind_speed_10m: 14.2 },
    ]);
    const values = await w.query(`SELECT variable, value, unit FROM ${DB}.CURATED.WEATHER_VALUES WHERE location_id = 'hel' ORDER BY ALL`);
    expect(values).toEqual([{ variable: 'temperature_2m', value: -1.3, unit: '°C' }, { variable: 'wind_speed_10m', value: 14.2, unit: 'km/h' }]);
    expect(await curated(w, 'AGENT_STATUS', 'customer_id, cycle_id, outcome, dump_backlog_files')).toEqual([
      { customer_id: 'acme', cycle_id: '20261121T100000000Z', outcome: 'ok', dump_backlog_files: '0' },
      { customer_id: 'beta', cycle_id: '20261121T100000000Z', outcome: 'ok', dump_backlog_files: '0' },
    ]);
    // The streams advanced with the commits: nothing left to merge.
    expect(await w.runTasks()).toEqual([]);
  });

  it('the same file delivered twice, even with changed content, is skipped by name for 14 days; a reload after that changes no row', async () => {
    const file = acme10();
    await deliverAll(w, file);
    await w.mergeAll();
    const before = await w.snapshot();
    expect((await w.deliver(file.key, file.body))[0]?.status).toBe('skipped (already loaded)');
    expect((await w.deliver(file.key, acme1015().body))[0]?.status).toBe('skipped (already loaded)');
    expect(await w.runTasks()).toEqual([]);
    expect(await w.snapshot()).toEqual(before);
    await w.setClock('2026-12-06T10:05:00Z');
    expect((await w.deliver(file.key, file.body))[0]?.status).toBe('Loaded');
    expect(await rawCount(w)).toBe(6);
    await w.mergeAll();
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id, collected_at, merged_at')).toEqual([
      { location_id: 'hel', collected_at: '2026-11-21T10:00:02.000Z', merged_at: '2026-11-21T10:05:00.000Z' },
      { location_id: 'tre', collected_at: '2026-11-21T10:00:03.000Z', merged_at: '2026-11-21T10:05:00.000Z' },
    ]);
  });

  it.each([false, true])('a backlog pack (gzip %s) repeating cycle files already loaded adds only the new records', async (gzip) => {
    const [first, second] = [acme10(), acme1015()];
    await deliverAll(w, first);
    await w.mergeAll();
    const third = cycleFile('acme', '2026-11-21T10:30:00.000Z', [observation('acme', HEL, '2026-11-21T10:30:00.000Z', '2026-11-21T10:30:02.000Z', -0.8)]);
    const pack = packOf([first, second, third], gzip);
    expect(pack.key).toMatch(gzip ? /_pack-[0-9a-f]{16}\.ndjson\.gz$/ : /_pack-[0-9a-f]{16}\.ndjson$/);
    await w.setClock('2026-11-21T10:35:00Z');
    await deliverAll(w, pack);
    expect(await rawCount(w)).toBe(3 + 7);
    await w.mergeAll();
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id, observed_at, merged_at')).toEqual([
      { location_id: 'hel', observed_at: '2026-11-21T10:00:00.000Z', merged_at: '2026-11-21T10:05:00.000Z' },
      { location_id: 'hel', observed_at: '2026-11-21T10:15:00.000Z', merged_at: '2026-11-21T10:35:00.000Z' },
      { location_id: 'hel', observed_at: '2026-11-21T10:30:00.000Z', merged_at: '2026-11-21T10:35:00.000Z' },
      { location_id: 'tre', observed_at: '2026-11-21T10:00:00.000Z', merged_at: '2026-11-21T10:05:00.000Z' },
      { location_id: 'tre', observed_at: '2026-11-21T10:15:00.000Z', merged_at: '2026-11-21T10:35:00.000Z' },
    ]);
    expect(await curated(w, 'AGENT_STATUS', 'cycle_id')).toEqual([{ cycle_id: '20261121T101500000Z' }]);
  });

  it('two records with the same key in one batch merge into one row, the later copy kept', async () => {
    const again = cycleFile('acme', '2026-11-21T10:01:00.000Z', [observation('acme', HEL, T10, '2026-11-21T10:01:09.000Z', -1.4)]);
    await deliverAll(w, acme10(), again);
    await w.mergeAll();
    const rows = await curated(w, 'WEATHER_OBSERVATIONS', "location_id, collected_at, json_extract_string(variables, '$.temperature_2m') AS t, file_name");
    expect(rows).toEqual([
      { location_id: 'hel', collected_at: '2026-11-21T10:01:09.000Z', t: '-1.4', file_name: again.key.slice(PREFIX.length) },
      { location_id: 'tre', collected_at: '2026-11-21T10:00:03.000Z', t: '-4', file_name: acme10().key.slice(PREFIX.length) },
    ]);
  });

  it('a late older record adds its own row and extends first_seen_at without changing the latest attributes', async () => {
    await deliverAll(w, acme1015());
    await w.mergeAll();
    const late = cycleFile('acme', '2026-11-21T09:45:00.000Z', [observation('acme', { ...HEL, name: 'Old name' }, '2026-11-21T09:45:00.000Z', '2026-11-21T09:45:02.000Z', -1.5)]);
    await deliverAll(w, late);
    await w.mergeAll();
    expect(await curated(w, 'LOCATIONS', 'location_id, location_name, first_seen_at, last_seen_at')).toEqual([
      { location_id: 'hel', location_name: 'Helsinki depot', first_seen_at: '2026-11-21T09:45:00.000Z', last_seen_at: '2026-11-21T10:15:00.000Z' },
      { location_id: 'tre', location_name: 'Tampere', first_seen_at: '2026-11-21T10:15:00.000Z', last_seen_at: '2026-11-21T10:15:00.000Z' },
    ]);
    expect((await curated(w, 'WEATHER_OBSERVATIONS', 'observed_at')).map((r) => r.observed_at)).toEqual(['2026-11-21T09:45:00.000Z', '2026-11-21T10:15:00.000Z', '2026-11-21T10:15:00.000Z']);
    expect(await curated(w, 'CUSTOMERS', 'first_seen_at, last_seen_at')).toEqual([{ first_seen_at: '2026-11-21T09:45:02.000Z', last_seen_at: '2026-11-21T10:15:03.000Z' }]);
  });

  it('a newer agent version takes over customer and status rows; a late record of the old version does not revert it', async () => {
    await deliverAll(w, acme10());
    await w.mergeAll();
    const v2 = { version: '0.2.0', host: 'site-a-srv01' };
    await deliverAll(w, cycleFile('acme', T1015, [observation('acme', HEL, T1015, '2026-11-21T10:15:02.000Z', -1, v2), agentStatus('acme', T1015, ok, 0, v2)]));
    await w.mergeAll();
    await deliverAll(w, cycleFile('acme', '2026-11-21T09:30:00.000Z', [observation('acme', TRE, '2026-11-21T09:30:00.000Z', '2026-11-21T09:30:02.000Z', -4)]));
    await w.mergeAll();
    expect(await curated(w, 'CUSTOMERS', 'agent_version')).toEqual([{ agent_version: '0.2.0' }]);
    expect(await curated(w, 'AGENT_STATUS', 'agent_version, cycle_id')).toEqual([{ agent_version: '0.2.0', cycle_id: '20261121T101500000Z' }]);
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id, agent_version')).toEqual([
      { location_id: 'hel', agent_version: '0.1.0' }, { location_id: 'hel', agent_version: '0.2.0' }, { location_id: 'tre', agent_version: '0.1.0' }, { location_id: 'tre', agent_version: '0.1.0' },
    ]);
  });

  it('agent_status records: the latest cycle per host is kept, every cycle is in AGENT_CYCLES', async () => {
    const failed = [{ id: 'hel', outcome: 'ok' as const }, { id: 'tre', outcome: 'failed' as const, error_class: 'timeout' }];
    await deliverAll(w, cycleFile('acme', T1015, [agentStatus('acme', T1015, failed, 3)]), cycleFile('acme', T10, [agentStatus('acme', T10, ok)]));
    await w.mergeAll();
    expect(await curated(w, 'AGENT_STATUS', 'cycle_id, outcome, dump_backlog_files, dump_backlog_oldest_at, last_error_class, cycle_locations')).toEqual([
      { cycle_id: '20261121T101500000Z', outcome: 'partial', dump_backlog_files: '3', dump_backlog_oldest_at: '2026-11-21T09:00:00.000Z', last_error_class: 'timeout', cycle_locations: JSON.stringify(failed) },
    ]);
    expect(await w.query(`SELECT cycle_id, outcome FROM ${DB}.CURATED.AGENT_CYCLES ORDER BY ALL`)).toEqual([
      { cycle_id: '20261121T100000000Z', outcome: 'ok' }, { cycle_id: '20261121T101500000Z', outcome: 'partial' },
    ]);
    expect(await monitoring(w, 'AGENTS', 'customer_id, status')).toEqual([{ customer_id: 'acme', status: 'PARTIAL' }]);
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id')).toEqual([]);
  });
});
