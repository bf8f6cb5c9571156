// The rewrite, the leftover detector, the statement classification and the nondeterministic-MERGE
// check, each with a control that proves it bites.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScripts, renderedStatements, SQL_DIR, type SqlStatement } from '../sql-scripts.ts';
import { classify, summarise } from './classify.ts';
import { findLeftovers, rewriteSql } from './dialect.ts';
import { assertDeterministicMerge, NondeterministicMergeError } from './streams-tasks.ts';
import { deployOrder, EmulationError, Warehouse } from './warehouse.ts';

const context = { database: 'DATAPIPE_CHECK' };

function statement(code: string): SqlStatement {
  return { file: 'probe.sql', line: 7, text: code, code };
}

describe('Snowflake -> DuckDB rewrite', () => {
  it.each([
    ["SELECT record:agent.host::STRING FROM t", "SELECT json_extract_string(record, '$.agent.host') FROM t"],
    ['SELECT record:cycle.locations AS l FROM t', "SELECT json_extract(record, '$.cycle.locations') AS l FROM t"],
    ['SELECT w.units[v.key]::STRING FROM w', `SELECT json_extract_string(w.units, '$."' || v.key || '"') FROM w`],
    ['SELECT IFF(a > b, a, b), TRY_TO_NUMBER(x)', 'SELECT sf_iff(a > b, a, b), sf_try_to_number(x)'],
    ['FROM w, LATERAL FLATTEN(INPUT => w.variables) AS v', 'FROM w, json_each(w.variables) AS v'],
    ["CREATE TABLE t (r VARIANT NOT NULL COMMENT 'x: y', n NUMBER, f FLOAT) COMMENT = 'it''s'", 'CREATE TABLE t (r JSON NOT NULL, n DECIMAL(38,0), f DOUBLE)'],
    ["SELECT 1 FROM TABLE(DATAPIPE_CHECK.INFORMATION_SCHEMA.TASK_HISTORY(ERROR_ONLY => TRUE)) AS h", 'SELECT 1 FROM DATAPIPE_CHECK.SF_INFORMATION_SCHEMA.TASK_HISTORY(ERROR_ONLY := TRUE) AS h'],
    ["SELECT 'mail ops@example.com: IFF(x)'", "SELECT 'mail ops@example.com: IFF(x)'"],
  ])('%s', (snowflake, duckdb) => {
    const rewritten = rewriteSql(snowflake, context);
    expect(rewritten).toBe(duckdb);
    expect(findLeftovers(rewritten)).toEqual([]);
  });

  it.each([
    ['SELECT v:a::NUMBER FROM t', 'path access'],
    ['SELECT ARRAY_SIZE(x) FROM t', 'Snowflake function'],
    ['SELECT * FROM t, FLATTEN(x)', 'FLATTEN'],
    ['SELECT OBJECT_CONSTRUCT(a, b)', 'Snowflake function'],
    ['SELECT GET_PATH(x, y)', 'Snowflake function'],
  ])('leaves %s to the detector (%s)', (snowflake, what) => {
    expect(findLeftovers(rewriteSql(snowflake, context)).join(' ')).toContain(what);
  });
});

describe('a Snowflake construct that survives the rewrite', () => {
  let warehouse: Warehouse;
  beforeEach(async () => {
    warehouse = await Warehouse.open();
    await warehouse.deploy();
  });
  afterEach(() => warehouse.close());

  it('fails the deploy loudly, naming the statement', async () => {
    const probe = statement('CREATE OR REPLACE VIEW DATAPIPE_CHECK.CURATED.PROBE AS SELECT ARRAY_SIZE(cycle_locations) AS n FROM DATAPIPE_CHECK.CURATED.AGENT_STATUS');
    await expect(warehouse.apply(probe)).rejects.toThrow(/^probe\.sql:7 CREATE OR REPLACE VIEW DATAPIPE_CHECK\.CURATED\.PROBE.*Snowflake syntax survived the rewrite.*ARRAY_SIZE/s);
  });

  it('fails a task whose body has one, instead of recording a task failure', async () => {
    const probe = statement(
      "CREATE OR REPLACE TASK DATAPIPE_CHECK.PIPELINE.PROBE WHEN SYSTEM$STREAM_HAS_DATA('DATAPIPE_CHECK.PIPELINE.RAW_TO_WEATHER') AS INSERT INTO DATAPIPE_CHECK.CURATED.EXPECTED_LOCATIONS SELECT OBJECT_KEYS(record), 'x', 1, NULL FROM DATAPIPE_CHECK.PIPELINE.RAW_TO_WEATHER",
    );
    await expect(warehouse.apply(probe)).rejects.toThrow(EmulationError);
  });

  it('fails an unknown kind of statement instead of skipping it', () => {
    expect(() => classify(statement('UNDROP TABLE DATAPIPE_CHECK.RAW.RECORDS'))).toThrow(/probe\.sql:7: no classification rule for 'UNDROP TABLE/);
  });
});

describe('classification of every statement in sql/', () => {
  it('deploys in the order sql/deploy.sh runs the scripts (tasks resumed before monitoring and grants)', () => {
    const order = deployOrder();
    expect(order.indexOf('09_resume.sql')).toBeGreaterThan(order.indexOf('06_tasks.sql'));
    expect(order.indexOf('09_resume.sql')).toBeLessThan(order.indexOf('07_monitoring.sql'));
    expect(order[0]).toBe('00_account.sql');
  });

  const all = renderedStatements(loadScripts()).map(classify);

  it('executes schemas, tables and views, emulates pipe, streams and tasks, leaves grants and account objects to Snowflake', () => {
    const summary = summarise(all);
    console.info(`sql/ statements: ${summary.executed} executed, ${summary.emulated} emulated, ${summary['snowflake-only']} Snowflake-only`);
    const byKind = (re: RegExp) => all.filter((c) => re.test(c.statement.code));
    expect(byKind(/^CREATE (SCHEMA|TABLE|OR REPLACE VIEW) /).every((c) => c.class === 'executed')).toBe(true);
    expect(byKind(/^CREATE (PIPE|STREAM|OR REPLACE TASK|STAGE|FILE FORMAT) /).every((c) => c.class === 'emulated')).toBe(true);
    expect(byKind(/^(GRANT|CREATE (ROLE|STORAGE INTEGRATION|NOTIFICATION INTEGRATION)|CREATE OR REPLACE ALERT) /).every((c) => c.class === 'snowflake-only')).toBe(true);
    expect(summary.executed).toBeGreaterThanOrEqual(20);
    expect(summary.emulated).toBeGreaterThanOrEqual(15);
  });
});

describe('sql/README.md "What runs where"', () => {
  it('states the counts the classification gives', () => {
    const readme = readFileSync(join(SQL_DIR, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const stated = /(\d+) executed, (\d+) emulated, (\d+) Snowflake-only/.exec(readme);
    expect(stated, 'sql/README.md should say "<n> executed, <n> emulated, <n> Snowflake-only"').not.toBeNull();
    const summary = summarise(renderedStatements(loadScripts()).map(classify));
    expect(stated?.slice(1).map(Number)).toEqual([summary.executed, summary.emulated, summary['snowflake-only']]);
  });
});

describe('ERROR_ON_NONDETERMINISTIC_MERGE emulation', () => {
  let warehouse: Warehouse;
  beforeEach(async () => {
    warehouse = await Warehouse.open();
    await warehouse.run('CREATE OR REPLACE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)');
    await warehouse.run('INSERT INTO t VALUES (1, 0)');
  });
  afterEach(() => warehouse.close());
  const merge = 'MERGE INTO t AS t USING (SELECT 1 AS k, 10 AS v UNION ALL SELECT 1, 20) AS s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v';

  it('is needed: DuckDB itself applies two source rows to one target row without an error', async () => {
    await warehouse.run(merge);
    expect((await warehouse.rows('SELECT v FROM t'))[0]?.v).not.toBe(0);
  });

  it('fails the MERGE when the USING side has two rows for one ON key (negative control)', async () => {
    await expect(assertDeterministicMerge(warehouse, merge)).rejects.toThrow(NondeterministicMergeError);
    await expect(assertDeterministicMerge(warehouse, merge)).rejects.toThrow(/Duplicate row detected.*s\.k.*"n":"2"/);
  });

  it('passes a source with one row per key', async () => {
    await expect(assertDeterministicMerge(warehouse, merge.replace('UNION ALL SELECT 1, 20', 'UNION ALL SELECT 2, 20'))).resolves.toBeUndefined();
  });
});
