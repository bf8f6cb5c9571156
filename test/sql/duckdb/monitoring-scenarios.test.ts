// The deployed sql/ scripts on DuckDB, seen from MONITORING: every view runs over real merged
// data, PROBLEMS names what a person must look at (late data, silent agents, a suspended task,
// merge lag, failed task runs), a failing task keeps its stream offset, and a second deploy
// changes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadScripts, renderedStatements } from '../sql-scripts.ts';
import { agentStatus, cycleFile, HEL, observation, OULU, TRE } from './fixture-files.ts';
import { curated, DB, deliverAll, deployedWarehouse, monitoring, rawCount } from './scenario-helpers.ts';
import { deployStatements, teardownStatements, type Warehouse } from './warehouse.ts';

const T10 = '2026-11-21T10:00:00.000Z';
const statement = (code: string) => ({ file: 'operator.sql', line: 1, text: code, code });
const monitoringViews = renderedStatements(loadScripts())
  .map((s) => /^CREATE OR REPLACE VIEW DATAPIPE_CHECK\.MONITORING\.(\w+)/.exec(s.code)?.[1])
  .filter((name): name is string => name !== undefined);

async function firstLoad(w: Warehouse): Promise<void> {
  await deliverAll(
    w,
    cycleFile('acme', T10, [
      observation('acme', HEL, T10, '2026-11-21T10:00:02.000Z', -1.3),
      observation('acme', TRE, T10, '2026-11-21T10:00:03.000Z', -4),
      agentStatus('acme', T10, [{ id: 'hel', outcome: 'ok' }, { id: 'tre', outcome: 'ok' }]),
    ]),
    cycleFile('beta', T10, [observation('beta', OULU, T10, '2026-11-21T10:00:04.000Z', -9.2), agentStatus('beta', T10, [{ id: 'oulu', outcome: 'ok' }])]),
  );
  await w.mergeAll();
}

describe('sql/ on DuckDB: monitoring', () => {
  let w: Warehouse;
  beforeEach(async () => {
    w = await deployedWarehouse();
  });
  afterEach(() => w.close());

  it('every monitoring view runs over merged data; PROBLEMS is empty while all is fresh, then lists late data and silent agents', async () => {
    expect(monitoringViews).toEqual(expect.arrayContaining(['FRESHNESS', 'AGENTS', 'PIPE_STATUS', 'LOAD_ERRORS', 'TASK_FAILURES', 'TASKS', 'MERGE_LAG', 'RAW_REJECTS', 'PROBLEMS']));
    await firstLoad(w);
    await w.setClock('2026-11-21T10:30:00Z');
    for (const view of monitoringViews) await expect(monitoring(w, view), view).resolves.toBeInstanceOf(Array);
    expect(await monitoring(w, 'FRESHNESS', 'customer_id, location_id, status, announced_by_agent')).toEqual([
      { customer_id: 'acme', location_id: 'hel', status: 'OK', announced_by_agent: true },
      { customer_id: 'acme', location_id: 'tre', status: 'OK', announced_by_agent: true },
      { customer_id: 'beta', location_id: 'oulu', status: 'OK', announced_by_agent: true },
    ]);
    expect(await monitoring(w, 'TASKS', 'task_name, state')).toEqual(['MERGE_AGENT_STATUS', 'MERGE_CUSTOMERS', 'MERGE_LOCATIONS', 'MERGE_WEATHER'].map((t) => ({ task_name: t, state: 'started' })));
    expect(await monitoring(w, 'PIPE_STATUS', 'execution_state, pending_file_count')).toEqual([{ execution_state: 'RUNNING', pending_file_count: '0' }]);
    expect(await monitoring(w, 'PROBLEMS')).toEqual([]);

    await w.run(`INSERT INTO ${DB}.CURATED.EXPECTED_LOCATIONS VALUES ('acme', 'lah', 30, 'new depot'), ('beta', '*', 240, NULL)`);
    await w.setClock('2026-11-21T12:00:00Z');
    expect(await monitoring(w, 'PROBLEMS', 'area, subject, split_part(detail, \',\', 1) AS status')).toEqual([
      { area: 'agent', subject: 'acme/site-a-srv01', status: 'SILENT' },
      { area: 'freshness', subject: 'acme/hel', status: 'LATE' },
      { area: 'freshness', subject: 'acme/lah', status: 'NEVER_RECEIVED' },
      { area: 'freshness', subject: 'acme/tre', status: 'LATE' },
    ]);
  });

  it('a suspended task and the merge lag it causes show in TASKS, MERGE_LAG and PROBLEMS; resuming merges the backlog', async () => {
    await firstLoad(w);
    await w.apply(statement(`ALTER TASK ${DB}.PIPELINE.MERGE_WEATHER SUSPEND`));
    await w.setClock('2026-11-21T11:20:00Z');
    const t11 = '2026-11-21T11:15:00.000Z';
    await deliverAll(w, cycleFile('acme', t11, [observation('acme', HEL, t11, '2026-11-21T11:15:02.000Z', -2), agentStatus('acme', t11, [{ id: 'hel', outcome: 'ok' }])]));
    expect((await w.mergeAll()).map((r) => r.task)).not.toContain(`${DB}.PIPELINE.MERGE_WEATHER`);
    expect(await monitoring(w, 'MERGE_LAG', 'table_name, lag_minutes, status', "WHERE status <> 'OK'")).toEqual([{ table_name: 'WEATHER_OBSERVATIONS', lag_minutes: '75', status: 'LAGGING' }]);
    expect(await monitoring(w, 'PROBLEMS', "area, subject, split_part(detail, ':', 1) AS d", "WHERE area IN ('task', 'merge')")).toEqual([
      { area: 'merge', subject: 'WEATHER_OBSERVATIONS', d: 'LAGGING, newest raw record scanned 2026-11-21 11' },
      { area: 'task', subject: 'MERGE_WEATHER', d: 'suspended' },
    ]);
    await w.apply(statement(`ALTER TASK ${DB}.PIPELINE.MERGE_WEATHER RESUME`));
    await w.mergeAll();
    expect((await curated(w, 'WEATHER_OBSERVATIONS', 'observed_at')).map((r) => r.observed_at)).toContain(t11);
    expect(await monitoring(w, 'PROBLEMS', 'area', "WHERE area IN ('task', 'merge')")).toEqual([]);
  });

  it('a paused pipe shows in PIPE_STATUS and PROBLEMS; files that arrive meanwhile load when it resumes', async () => {
    await w.apply(statement(`ALTER PIPE ${DB}.RAW.RECORDS_PIPE SET PIPE_EXECUTION_PAUSED = TRUE`));
    const file = cycleFile('acme', T10, [observation('acme', HEL, T10, '2026-11-21T10:00:02.000Z', -1.3)]);
    expect(await w.deliver(file.key, file.body)).toEqual([expect.objectContaining({ status: 'queued (pipe paused)' })]);
    expect(await rawCount(w)).toBe(0);
    expect(await monitoring(w, 'PIPE_STATUS', 'execution_state')).toEqual([{ execution_state: 'PAUSED' }]);
    expect(await monitoring(w, 'PROBLEMS', 'area, subject', "WHERE area = 'pipe'")).toEqual([{ area: 'pipe', subject: 'RAW.RECORDS_PIPE' }]);
    await w.apply(statement(`ALTER PIPE ${DB}.RAW.RECORDS_PIPE SET PIPE_EXECUTION_PAUSED = FALSE`));
    expect(await rawCount(w)).toBe(1);
    expect(await monitoring(w, 'PROBLEMS', 'area', "WHERE area = 'pipe'")).toEqual([]);
  });

  it('a task failing on a nondeterministic MERGE rolls back, keeps its stream, is reported, and auto-suspends after 10 failures', async () => {
    await firstLoad(w);
    // Negative control: an upgrade whose MERGE_WEATHER lost its QUALIFY dedup.
    const broken = deployStatements().filter((s) => /^CREATE OR REPLACE TASK \S+\.MERGE_WEATHER /.test(s.code)).map((s) => ({ ...s, code: s.code.replace(/ QUALIFY ROW_NUMBER\(\) OVER \([^)]*\) = 1/, '') }));
    expect(broken).toHaveLength(1);
    expect(broken[0]?.code).not.toContain('QUALIFY');
    await w.apply(broken[0]!);
    await w.apply(statement(`ALTER TASK ${DB}.PIPELINE.MERGE_WEATHER RESUME`));
    const copy = (at: string, temperature: number) => cycleFile('acme', at, [observation('acme', HEL, T10, at, temperature)]);
    await deliverAll(w, copy('2026-11-21T10:10:00.000Z', -1.0), copy('2026-11-21T10:11:00.000Z', -1.1));
    const [run] = (await w.runTasks()).filter((r) => r.task.endsWith('MERGE_WEATHER'));
    expect(run).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/^Duplicate row detected/) });
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id, collected_at')).toEqual([
      { location_id: 'hel', collected_at: '2026-11-21T10:00:02.000Z' }, { location_id: 'tre', collected_at: '2026-11-21T10:00:03.000Z' }, { location_id: 'oulu', collected_at: '2026-11-21T10:00:04.000Z' },
    ]);
    expect(await w.rows(`SELECT count(*) AS n FROM ${DB}.PIPELINE.RAW_TO_WEATHER`)).toEqual([{ n: '2' }]);
    expect(await monitoring(w, 'TASK_FAILURES', 'task_name, state, error_code')).toEqual([{ task_name: 'MERGE_WEATHER', state: 'FAILED', error_code: '100090' }]);
    expect(await monitoring(w, 'PROBLEMS', 'area, subject', "WHERE area = 'task'")).toEqual([{ area: 'task', subject: 'MERGE_WEATHER' }]);
    for (let i = 0; i < 9; i += 1) await w.runTasks();
    expect(await monitoring(w, 'TASKS', 'task_name, state', "WHERE task_name = 'MERGE_WEATHER'")).toEqual([{ task_name: 'MERGE_WEATHER', state: 'suspended' }]);
    expect((await monitoring(w, 'TASK_FAILURES', 'state')).map((r) => r.state)).toEqual([...Array(9).fill('FAILED'), 'FAILED_AND_AUTO_SUSPENDED']);
    expect(await w.runTasks()).toEqual([]);
    // The fixed task (a redeploy of 06 + 09) merges what the failed runs left in the stream.
    for (const s of deployStatements().filter((s) => /^(CREATE OR REPLACE TASK|ALTER TASK) \S+\.MERGE_WEATHER /.test(s.code))) await w.apply(s);
    expect((await w.mergeAll()).map((r) => r.task)).toEqual([`${DB}.PIPELINE.MERGE_WEATHER`]);
    expect(await curated(w, 'WEATHER_OBSERVATIONS', 'location_id, collected_at')).toEqual([
      { location_id: 'hel', collected_at: '2026-11-21T10:11:00.000Z' }, { location_id: 'tre', collected_at: '2026-11-21T10:00:03.000Z' }, { location_id: 'oulu', collected_at: '2026-11-21T10:00:04.000Z' },
    ]);
  });

  it('TASK_HISTORY stub keeps the documented 7-day window: an older range is an error', async () => {
    await expect(w.query(`SELECT * FROM TABLE(${DB}.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => DATEADD('day', -8, CURRENT_TIMESTAMP())))`)).rejects.toThrow(/within the last 7 days/);
  });

  it('the whole deploy run twice changes nothing, and then the teardown removes the database', async () => {
    await firstLoad(w);
    const before = await w.snapshot();
    expect(Object.keys(before)).toEqual(expect.arrayContaining([`${DB}.RAW.RECORDS`, `${DB}.CURATED.WEATHER_OBSERVATIONS`, `${DB}.EMULATION.STREAMS`, `${DB}.EMULATION.TASKS`]));
    await w.deploy();
    expect(await w.snapshot()).toEqual(before);
    expect(await w.runTasks()).toEqual([]);
    expect(await rawCount(w)).toBe(5);
    for (const s of teardownStatements()) await w.apply(s);
    await expect(w.rows(`SELECT 1 FROM ${DB}.RAW.RECORDS`)).rejects.toThrow();
  });
});
