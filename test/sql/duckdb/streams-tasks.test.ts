// The task emulation beyond single-MERGE tasks: a task that CALLs a procedure runs the procedure's
// statements in one transaction with its stream offset, and all of it rolls back on an error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStatement } from '../sql-scripts.ts';
import { cycleFile, HEL, observation, OULU } from './fixture-files.ts';
import { DB, deliverAll, deployedWarehouse } from './scenario-helpers.ts';
import { EmulationError, type Warehouse } from './warehouse.ts';

const T10 = '2026-11-21T10:00:00.000Z';

function statement(text: string): SqlStatement {
  return { file: 'probe.sql', line: 1, text, code: text.replace(/\s+/g, ' ').trim() };
}

const insertFromStream = (location: string) =>
  `INSERT INTO ${DB}.CURATED.EXPECTED_LOCATIONS SELECT DISTINCT record:customer_id::STRING, '${location}', 1, NULL FROM ${DB}.PIPELINE.PROBE_STREAM;`;

describe('emulated tasks that CALL a procedure', () => {
  let w: Warehouse;
  beforeEach(async () => {
    w = await deployedWarehouse();
    for (const text of [
      `CREATE STREAM IF NOT EXISTS ${DB}.PIPELINE.PROBE_STREAM ON TABLE ${DB}.RAW.RECORDS APPEND_ONLY = TRUE`,
      `CREATE OR REPLACE PROCEDURE ${DB}.PIPELINE.PROBE_PROC() RETURNS STRING LANGUAGE SQL AS $$
       BEGIN
         BEGIN TRANSACTION;
         ${insertFromStream('p1')}
         ${insertFromStream('p2')}
         COMMIT;
         RETURN 'ok';
       END;
       $$`,
      `CREATE OR REPLACE TASK ${DB}.PIPELINE.PROBE_TASK TARGET_COMPLETION_INTERVAL = '5 MINUTES'
       WHEN SYSTEM$STREAM_HAS_DATA('${DB}.PIPELINE.PROBE_STREAM') AS CALL ${DB}.PIPELINE.PROBE_PROC()`,
      `ALTER TASK ${DB}.PIPELINE.PROBE_TASK RESUME`,
    ]) await w.apply(statement(text));
  });
  afterEach(() => w.close());

  const expected = async () => w.rows(`SELECT customer_id, location_id FROM ${DB}.CURATED.EXPECTED_LOCATIONS ORDER BY ALL`);
  const probeRun = async () => (await w.runTasks()).find((r) => r.task.endsWith('PROBE_TASK'));

  it('runs every statement of the body and advances the stream once', async () => {
    await deliverAll(w, cycleFile('acme', T10, [observation('acme', HEL, T10, T10, 1)]));
    expect(await probeRun()).toEqual({ task: `${DB}.PIPELINE.PROBE_TASK`, state: 'SUCCEEDED' });
    expect(await expected()).toEqual([{ customer_id: 'acme', location_id: 'p1' }, { customer_id: 'acme', location_id: 'p2' }]);
    expect(await w.rows(`SELECT count(*) AS n FROM ${DB}.PIPELINE.PROBE_STREAM`)).toEqual([{ n: '0' }]);
  });

  it('rolls back the first statement and keeps the stream when a later one fails', async () => {
    await w.run(`INSERT INTO ${DB}.CURATED.EXPECTED_LOCATIONS VALUES ('beta', 'p2', 5, 'blocks the second insert')`);
    await deliverAll(w, cycleFile('beta', T10, [observation('beta', OULU, T10, T10, 1)]));
    expect(await probeRun()).toMatchObject({ state: 'FAILED', error: expect.stringContaining('violates primary key constraint') });
    expect(await expected()).toEqual([{ customer_id: 'beta', location_id: 'p2' }]);
    expect(await w.rows(`SELECT count(*) AS n FROM ${DB}.PIPELINE.PROBE_STREAM`)).toEqual([{ n: '1' }]);
  });

  it('refuses Snowflake Scripting it does not emulate', async () => {
    const scripted = statement(`CREATE OR REPLACE PROCEDURE ${DB}.PIPELINE.P2() RETURNS STRING LANGUAGE SQL AS $$ BEGIN LET n := 1; RETURN 'x'; END; $$`);
    await expect(w.apply(scripted)).rejects.toThrow(EmulationError);
    await expect(w.apply(scripted)).rejects.toThrow(/Snowflake Scripting 'LET n := 1' is not emulated/);
  });
});
