// One run of an emulated task (semantics and references in streams-tasks.ts): the body (a MERGE,
// or the statements of the procedure it CALLs) and the offsets of the streams it reads commit in
// one DuckDB transaction; on error everything rolls back, the run is recorded FAILED in the
// TASK_HISTORY stub, and after SUSPEND_TASK_AFTER_NUM_FAILURES consecutive failures the task is
// suspended (FAILED_AND_AUTO_SUSPENDED).
import { assertDeterministicMerge, NondeterministicMergeError, type TaskDefinition } from './streams-tasks.ts';
import { EmulationError } from './emulation-error.ts';
import type { Warehouse } from './warehouse.ts';

export interface TaskRun {
  task: string;
  state: 'SUCCEEDED' | 'FAILED' | 'FAILED_AND_AUTO_SUSPENDED';
  error?: string;
}

let runId = 0;

/** The statements a run executes, as written (CALL expands to the procedure body). */
export function taskStatements(warehouse: Warehouse, task: TaskDefinition): string[] {
  const call = /^CALL (\S+?)\s*\(\s*\)$/i.exec(task.body);
  if (!call) return [task.body];
  const body = warehouse.procedures.get((call[1] as string).toUpperCase());
  if (!body) throw new EmulationError(`task ${task.name} calls ${call[1]}, which no earlier statement creates`);
  return body;
}

export async function runTask(warehouse: Warehouse, task: TaskDefinition): Promise<TaskRun> {
  const db = warehouse.database;
  const statements = taskStatements(warehouse, task).map((s) => warehouse.translate(s, `task ${task.name}`));
  const scheduled = "sf_current_timestamp()";
  await warehouse.run('BEGIN TRANSACTION');
  let error: Error | undefined;
  try {
    for (const sql of statements) {
      if (/^MERGE /i.test(sql)) await assertDeterministicMerge(warehouse, sql);
      await warehouse.run(sql);
    }
    const read = task.streams.filter((s) => statements.some((sql) => sql.toUpperCase().includes(s)));
    for (const stream of read) {
      const [source] = await warehouse.rows(`SELECT source_table FROM ${db}.EMULATION.STREAMS WHERE name = '${stream}'`);
      await warehouse.run(`UPDATE ${db}.EMULATION.STREAMS SET offset_rowid = (SELECT coalesce(max(rowid), -1) FROM ${String(source?.source_table)}),
        consumed_at = sf_current_timestamp() WHERE name = '${stream}'`);
    }
    await warehouse.run('COMMIT');
  } catch (caught) {
    await warehouse.run('ROLLBACK');
    if (caught instanceof EmulationError) throw caught;
    error = caught as Error;
  }
  const [row] = await warehouse.rows(`SELECT consecutive_failures AS n FROM ${db}.EMULATION.TASKS WHERE name = '${task.name}'`);
  const failures = error ? Number(row?.n ?? 0) + 1 : 0;
  const state: TaskRun['state'] = !error ? 'SUCCEEDED' : failures >= task.suspendAfterFailures ? 'FAILED_AND_AUTO_SUSPENDED' : 'FAILED';
  const suspend = state === 'FAILED_AND_AUTO_SUSPENDED' ? ", state = 'suspended'" : '';
  await warehouse.run(`UPDATE ${db}.EMULATION.TASKS SET consecutive_failures = ${failures}${suspend} WHERE name = '${task.name}'`);
  const [catalog, schema, name] = task.name.split('.');
  const message = error ? `'${error.message.slice(0, 500).replace(/'/g, "''")}'` : 'NULL';
  runId += 1;
  await warehouse.run(`INSERT INTO ${db}.EMULATION.TASK_RUNS (query_id, name, database_name, schema_name, query_text, condition_text,
      state, error_code, error_message, scheduled_time, query_start_time, completed_time, run_id, attempt_number)
    VALUES ('emulated-${runId}', '${name}', '${catalog}', '${schema}', NULL, NULL, '${state}', ${error instanceof NondeterministicMergeError ? "'100090'" : 'NULL'}, ${message},
      ${scheduled}, ${scheduled}, ${scheduled}, ${runId}, 1)`);
  return { task: task.name, state, ...(error ? { error: error.message } : {}) };
}
