// What the deployed sql/ scripts refuse, on DuckDB: bad records (kept in RAW, listed by
// RAW_REJECTS, merged nowhere, the tasks still succeed), unparsable lines (ON_ERROR = CONTINUE),
// objects the pipe PATTERN does not take (the doctor canary), and records that claim another
// customer than their S3 key (tenant isolation: the customer comes from customer=<id>/).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compactUtc } from '../../../agent/envelope/records.ts';
import { agentStatus, cycleFile, HEL, mutated, observation, OULU, packOf, PREFIX, TRE } from './fixture-files.ts';
import { curated, DB, deliverAll, deployedWarehouse, monitoring, rawCount } from './scenario-helpers.ts';
import { Warehouse, deployStatements } from './warehouse.ts';

const T10 = '2026-11-21T10:00:00.000Z';
const good = () => observation('acme', HEL, T10, '2026-11-21T10:00:02.000Z', -1.3);

describe('sql/ on DuckDB: rejected input', () => {
  let w: Warehouse;
  beforeEach(async () => {
    w = await deployedWarehouse();
  });
  afterEach(() => w.close());

  it('bad records are kept in RAW, listed in RAW_REJECTS with a reason, merged nowhere, and the tasks succeed', async () => {
    const status = agentStatus('acme', T10, [{ id: 'hel', outcome: 'ok' }]);
    const late = observation('acme', TRE, T10, '2026-11-21T11:59:00.000Z', 0);
    const file = cycleFile('acme', T10, [
      JSON.stringify(good()),
      '"not an object"',
      mutated(late, { schema_version: 2 }),
      mutated(late, { customer_id: null }),
      mutated(late, { 'location.id': null }),
      mutated(status, { 'cycle.started_at': 'yesterday' }),
      mutated(late, { record_type: 'telemetry' }),
      mutated(late, { collected_at: 'soon' }),
    ]);
    await deliverAll(w, file);
    expect(await rawCount(w)).toBe(8);
    expect((await w.mergeAll()).map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await monitoring(w, 'RAW_REJECTS', 'file_row_number, key_customer_id, record_type, reason')).toEqual([
      { file_row_number: '2', key_customer_id: 'acme', record_type: null, reason: 'unsupported schema_version' },
      { file_row_number: '3', key_customer_id: 'acme', record_type: 'observation', reason: 'unsupported schema_version' },
      { file_row_number: '4', key_customer_id: 'acme', record_type: 'observation', reason: 'missing customer_id' },
      { file_row_number: '5', key_customer_id: 'acme', record_type: 'observation', reason: 'observation without location.id, observed_at, record_id or source' },
      { file_row_number: '6', key_customer_id: 'acme', record_type: 'agent_status', reason: 'agent_status without agent.host, cycle.id, cycle.started_at, cycle.outcome or record_id' },
      { file_row_number: '7', key_customer_id: 'acme', record_type: 'telemetry', reason: 'unknown record_type' },
      { file_row_number: '8', key_customer_id: 'acme', record_type: 'observation', reason: 'bad collected_at' },
    ]);
    // Only the good record counts: the rejected ones (collected 11:59) move no last_seen_at.
    expect(await curated(w, 'CUSTOMERS', 'customer_id, last_seen_at')).toEqual([{ customer_id: 'acme', last_seen_at: '2026-11-21T10:00:02.000Z' }]);
    expect(await curated(w, 'LOCATIONS', 'location_id')).toEqual([{ location_id: 'hel' }]);
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id')).toEqual([{ location_id: 'hel' }]);
    expect(await curated(w, 'AGENT_STATUS', 'cycle_id')).toEqual([]);
    const problems = await monitoring(w, 'PROBLEMS', 'area, subject, detail', "WHERE area = 'record'");
    expect(problems).toHaveLength(7);
    expect(problems[0]).toEqual({ area: 'record', subject: `${file.key.slice(PREFIX.length)}:2`, detail: 'unsupported schema_version' });
  });

  it('a malformed line inside a pack: the other lines load, LOAD_ERRORS and PROBLEMS show the partial load', async () => {
    const a = cycleFile('acme', T10, [good()]);
    const b = cycleFile('acme', '2026-11-21T10:15:00.000Z', [observation('acme', TRE, '2026-11-21T10:15:00.000Z', '2026-11-21T10:15:02.000Z', -4)]);
    const pack = packOf([a, b], false);
    const broken = Buffer.from(pack.body.toString('utf8').replace('\n', '\n{"schema_version":1,"record_type":\n'));
    const [delivery] = await w.deliver(pack.key, broken);
    expect(delivery).toMatchObject({ status: 'Partially loaded', rowsLoaded: 2, errors: 1 });
    await w.mergeAll();
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id')).toEqual([{ location_id: 'hel' }, { location_id: 'tre' }]);
    const errors = await monitoring(w, 'LOAD_ERRORS', 'file_name, status, row_count, row_parsed, error_count, first_error_line_number');
    expect(errors).toEqual([{ file_name: pack.key.slice(PREFIX.length), status: 'Partially loaded', row_count: '2', row_parsed: '3', error_count: '1', first_error_line_number: '2' }]);
    const problems = await monitoring(w, 'PROBLEMS', 'area, subject', "WHERE area = 'load'");
    expect(problems).toEqual([{ area: 'load', subject: pack.key.slice(PREFIX.length) }]);
  });

  it('control: without ON_ERROR the emulated pipe uses Snowpipe\'s default SKIP_FILE and loads nothing of that pack', async () => {
    const statements = deployStatements().map((s) => (/^CREATE PIPE/.test(s.code) ? { ...s, code: s.code.replace(/ ON_ERROR = CONTINUE/, '') } : s));
    expect(statements.some((s) => /^CREATE PIPE/.test(s.code))).toBe(true);
    await w.close();
    const fresh = await Warehouse.open();
    try {
      await fresh.deploy(statements);
      const pack = packOf([cycleFile('acme', T10, [JSON.stringify(good()), '{"schema_version":1,'])], true);
      const [delivery] = await fresh.deliver(pack.key, pack.body);
      expect(delivery).toMatchObject({ status: 'Load failed', rowsLoaded: 0, errors: 1 });
      expect(await rawCount(fresh)).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('the doctor canary and other objects outside the agent layout are not loaded', async () => {
    const canary = `${PREFIX}customer=acme/canary/doctor-${compactUtc(new Date(T10))}.json`;
    expect(await w.deliver(canary, Buffer.from('{"canary":true}\n'))).toEqual([expect.objectContaining({ status: 'ignored (PATTERN)' })]);
    expect(await w.deliver(`${PREFIX}customer=acme/date=2026-11-21/notes.txt`, Buffer.from('{}\n'))).toEqual([expect.objectContaining({ status: 'ignored (PATTERN)' })]);
    expect(await w.deliver(`other/customer=acme/date=2026-11-21/x.ndjson`, cycleFile('acme', T10, [good()]).body)).toEqual([]);
    expect(await rawCount(w)).toBe(0);
    expect(await monitoring(w, 'LOAD_ERRORS')).toEqual([]);
  });

  it('tenant isolation: a record claiming another customer than its key customer=<id>/ is rejected, not merged into that customer', async () => {
    await deliverAll(w, cycleFile('beta', T10, [observation('beta', OULU, T10, '2026-11-21T10:00:04.000Z', -9.2)]));
    await w.mergeAll();
    const before = await curated(w, 'WEATHER_OBSERVATIONS', 'customer_id, location_id, collected_at');
    const forged = cycleFile('acme', '2026-11-21T10:15:00.000Z', [
      good(),
      observation('beta', OULU, T10, '2026-11-21T10:30:00.000Z', 35),
      agentStatus('beta', '2026-11-21T10:15:00.000Z', [{ id: 'oulu', outcome: 'failed', error_class: 'forged' }]),
    ]);
    await deliverAll(w, forged);
    await w.mergeAll();
    expect(await monitoring(w, 'RAW_REJECTS', 'file_row_number, key_customer_id, reason')).toEqual([
      { file_row_number: '2', key_customer_id: 'acme', reason: 'customer_id does not match the file key customer=<id>/' },
      { file_row_number: '3', key_customer_id: 'acme', reason: 'customer_id does not match the file key customer=<id>/' },
    ]);
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'customer_id, location_id, collected_at')).toEqual([{ customer_id: 'acme', location_id: 'hel', collected_at: '2026-11-21T10:00:02.000Z' }, ...before]);
    expect(await curated(w, 'CUSTOMERS', 'customer_id, last_seen_at')).toEqual([
      { customer_id: 'acme', last_seen_at: '2026-11-21T10:00:02.000Z' },
      { customer_id: 'beta', last_seen_at: '2026-11-21T10:00:04.000Z' },
    ]);
    expect(await curated(w, 'AGENT_STATUS', 'customer_id')).toEqual([]);
    expect(await w.query(`SELECT count(*) AS n FROM ${DB}.CURATED.AGENT_CYCLES`)).toEqual([{ n: '0' }]);
  });
});
