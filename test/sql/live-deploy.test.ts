// Deploys sql/ into a throwaway database on a real Snowflake account, loads the fixture records
// through a stage with the pipe's own COPY, runs the merge tasks with EXECUTE TASK, checks the
// row counts, re-delivers the same records and checks that nothing changed, reads every
// monitoring view as the monitoring role (and checks that role reads nothing else), then runs the
// teardown. Runs only when SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_WAREHOUSE and
// SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_PATH) are set; the user needs ACCOUNTADMIN,
// because 00_account.sql creates roles and integrations (all named after the throwaway database).
// The storage integration points at a bucket that is never read: files go through an internal stage.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNdjson } from '../../agent/envelope/records.ts';
import { agentObjectKey, buildFixtureRecords } from './fixtures.ts';
import { OPTIONAL_FILES, TEARDOWN_FILE } from './sql-scripts.ts';
import { openSession, pipeCopyFrom, readLiveConfig, runScripts, scriptsNamed, sleep, type LiveSession } from './snowflake-live.ts';

const config = readLiveConfig();
const skipReason = 'missing' in config ? `skipped: set ${config.missing.join(', ')} to run it` : '';
if (skipReason) console.info(`live Snowflake deploy test ${skipReason}`);

const TASKS = ['MERGE_CUSTOMERS', 'MERGE_LOCATIONS', 'MERGE_WEATHER', 'MERGE_AGENT_STATUS'];
const TABLES = ['CUSTOMERS', 'LOCATIONS', 'WEATHER_OBSERVATIONS', 'AGENT_STATUS'];
const MONITORING_VIEWS = ['FRESHNESS', 'AGENTS', 'PIPE_STATUS', 'LOAD_ERRORS', 'TASKS', 'TASK_FAILURES', 'MERGE_LAG', 'RAW_REJECTS', 'PROBLEMS'];

describe.skipIf(skipReason !== '')(`live Snowflake deploy ${skipReason || '(throwaway database)'}`, () => {
  const database = `DATAPIPE_LIVE_${randomBytes(4).toString('hex').toUpperCase()}`;
  const stage = `${database}.RAW.LIVE_TEST`;
  const variables: Record<string, string> = {
    database,
    bucket: 'datapipe-live-test-unused',
    prefix: 'agents/',
    aws_role_arn: 'arn:aws:iam::000000000000:role/datapipe-live-test-unused',
    warehouse: 'missing' in config ? '' : config.warehouse,
  };
  const { records, expected } = buildFixtureRecords();
  let session: LiveSession;
  let dir: string;

  const count = async (sql: string) => Number((await session.run(sql))[0]?.N);
  const tableCounts = async () => Promise.all(TABLES.map((t) => count(`SELECT COUNT(*) AS N FROM ${database}.CURATED.${t}`)));
  const tableHashes = async () => Promise.all(TABLES.map(async (t) => String((await session.run(`SELECT HASH_AGG(*) AS H FROM ${database}.CURATED.${t}`))[0]?.H)));

  /** Stages each customer's records under that customer's key (the merges trust the key), then runs the pipe's COPY. */
  async function stageAndCopy(at: Date, hex16: string, gzip = true): Promise<void> {
    const customers = [...new Set(records.map((r) => r.customer_id))];
    for (const customer of customers) {
      const key = agentObjectKey('', customer, at, hex16, false);
      const folder = key.slice(0, key.lastIndexOf('/') + 1);
      const local = join(dir, key.slice(key.lastIndexOf('/') + 1));
      writeFileSync(local, toNdjson(records.filter((r) => r.customer_id === customer)));
      await session.run(`PUT 'file://${local}' '@${stage}/${folder}' AUTO_COMPRESS = ${gzip ? 'TRUE' : 'FALSE'} OVERWRITE = FALSE`);
    }
    await session.run(pipeCopyFrom(stage, variables));
  }

  /** EXECUTE TASK for each merge, then wait until every run finished; returns their states. */
  async function runTasks(): Promise<string[]> {
    const started = String((await session.run('SELECT CURRENT_TIMESTAMP()::STRING AS T'))[0]?.T);
    for (const task of TASKS) await session.run(`EXECUTE TASK ${database}.PIPELINE.${task}`);
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const rows = await session.run(
        `SELECT NAME, STATE, ERROR_MESSAGE FROM TABLE(${database}.INFORMATION_SCHEMA.TASK_HISTORY(
           SCHEDULED_TIME_RANGE_START => '${started}'::TIMESTAMP_LTZ)) WHERE DATABASE_NAME = '${database}'
           AND STATE IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED', 'FAILED_AND_AUTO_SUSPENDED')`,
      );
      if (TASKS.every((task) => rows.some((row) => row.NAME === task))) {
        return TASKS.map((task) => {
          const row = rows.find((r) => r.NAME === task);
          return `${task}: ${String(row?.STATE)}${row?.ERROR_MESSAGE ? ` ${String(row.ERROR_MESSAGE)}` : ''}`;
        });
      }
      await sleep(5_000);
    }
    throw new Error('merge tasks did not finish within 5 minutes');
  }

  beforeAll(async () => {
    if ('missing' in config) return;
    dir = mkdtempSync(join(tmpdir(), 'datapipe-live-'));
    session = await openSession(config);
    const deploy = scriptsNamed((file) => file !== TEARDOWN_FILE && !OPTIONAL_FILES.has(file));
    await runScripts(session, deploy, variables);
    // A second deploy must succeed and change nothing (checked below through the row counts).
    await runScripts(session, deploy, variables);
    await session.run(`USE WAREHOUSE ${config.warehouse}`);
    // Only EXECUTE TASK should run the merges here, so the test sees each run it starts.
    for (const task of TASKS) await session.run(`ALTER TASK ${database}.PIPELINE.${task} SUSPEND`);
    await session.run(`CREATE TEMPORARY STAGE ${stage} FILE_FORMAT = (FORMAT_NAME = '${database}.RAW.NDJSON')`);
  }, 600_000);

  afterAll(async () => {
    if ('missing' in config || !session) return;
    try {
      await runScripts(session, scriptsNamed((file) => file === TEARDOWN_FILE), variables);
      const left = await session.run(`SHOW DATABASES LIKE '${database}'`);
      expect(left).toEqual([]);
    } finally {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('loads the fixture file and merges it into the curated tables', async () => {
    await stageAndCopy(new Date('2026-11-21T10:25:03.000Z'), '0123456789abcdef');
    expect(await count(`SELECT COUNT(*) AS N FROM ${database}.RAW.RECORDS`)).toBe(records.length);
    expect(await runTasks()).toEqual(TASKS.map((task) => `${task}: SUCCEEDED`));
    expect(await tableCounts()).toEqual([expected.customers, expected.locations, expected.weatherRows, expected.agentStatusRows]);
    const status = await session.run(`SELECT CYCLE_ID, OUTCOME FROM ${database}.CURATED.AGENT_STATUS`);
    expect(status).toEqual([{ CYCLE_ID: '20261121T102500000Z', OUTCOME: 'ok' }]);
  }, 600_000);

  it('changes nothing when the same records are delivered again', async () => {
    const before = await tableHashes();
    // Same key again: COPY skips it by load metadata. New key, same records: MERGE must dedup.
    await stageAndCopy(new Date('2026-11-21T10:25:03.000Z'), '0123456789abcdef');
    expect(await count(`SELECT COUNT(*) AS N FROM ${database}.RAW.RECORDS`)).toBe(records.length);
    await stageAndCopy(new Date('2026-11-22T08:00:00.000Z'), 'fedcba9876543210', false);
    expect(await count(`SELECT COUNT(*) AS N FROM ${database}.RAW.RECORDS`)).toBe(2 * records.length);
    const states = await runTasks();
    expect(states.every((s) => /: (SUCCEEDED|SKIPPED)$/.test(s)), states.join('\n')).toBe(true);
    expect(await tableCounts()).toEqual([expected.customers, expected.locations, expected.weatherRows, expected.agentStatusRows]);
    expect(await tableHashes()).toEqual(before);
  }, 600_000);

  it('answers every monitoring view', async () => {
    for (const view of MONITORING_VIEWS) {
      await expect(session.run(`SELECT COUNT(*) AS N FROM ${database}.MONITORING.${view}`), view).resolves.toHaveLength(1);
    }
    const freshness = await session.run(`SELECT LOCATION_ID, STATUS FROM ${database}.MONITORING.FRESHNESS ORDER BY LOCATION_ID`);
    // Announced by the agent, observed in 2026-11 fixtures: late now, but known.
    expect(freshness.map((row) => row.LOCATION_ID)).toEqual(['hel', 'tre']);
  }, 300_000);

  it('lets the monitoring role read every monitoring view, see the suspended tasks, and nothing else', async () => {
    const monitor = `${database}_MONITOR`;
    const user = String((await session.run('SELECT CURRENT_USER() AS U'))[0]?.U);
    await session.run(`GRANT ROLE ${monitor} TO USER "${user.replace(/"/g, '""')}"`);
    try {
      await session.run(`USE ROLE ${monitor}`);
      for (const view of MONITORING_VIEWS) {
        await expect(session.run(`SELECT COUNT(*) AS N FROM ${database}.MONITORING.${view}`), view).resolves.toHaveLength(1);
      }
      // beforeAll suspended the tasks so that only EXECUTE TASK runs them: the monitor must see that.
      const tasks = await session.run(`SELECT TASK_NAME, STATE FROM ${database}.MONITORING.TASKS ORDER BY TASK_NAME`);
      expect(tasks).toEqual([...TASKS].sort().map((task) => ({ TASK_NAME: task, STATE: 'suspended' })));
      const problems = await session.run(
        `SELECT SUBJECT FROM ${database}.MONITORING.PROBLEMS WHERE AREA = 'task' AND DETAIL LIKE 'suspended%' ORDER BY SUBJECT`,
      );
      expect(problems.map((row) => row.SUBJECT)).toEqual([...TASKS].sort());
      const rejectColumns = await session.run(
        `SELECT COLUMN_NAME FROM ${database}.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'MONITORING' AND TABLE_NAME = 'RAW_REJECTS' ORDER BY ORDINAL_POSITION`,
      );
      expect(rejectColumns.map((row) => row.COLUMN_NAME)).toEqual(['FILE_NAME', 'FILE_ROW_NUMBER', 'SCAN_TIME', 'KEY_CUSTOMER_ID', 'RECORD_TYPE', 'REASON']);
      await expect(session.run(`SELECT COUNT(*) AS N FROM ${database}.RAW.RECORDS`)).rejects.toThrow(/not authorized|does not exist|Insufficient privileges/i);
      await expect(session.run(`SELECT COUNT(*) AS N FROM ${database}.CURATED.WEATHER_OBSERVATIONS`)).rejects.toThrow(/not authorized|does not exist|Insufficient privileges/i);
      await expect(session.run(`LIST @${database}.RAW.LANDING`)).rejects.toThrow(/not authorized|does not exist|Insufficient privileges/i);
    } finally {
      await session.run('USE ROLE ACCOUNTADMIN');
    }
  }, 300_000);
});
