// What the harness does with each class of statement (classify.ts names the handler): run it on
// DuckDB after the rewrite, or register the emulated object (database, stage, pipe, stream, task,
// procedure) and change its state (ALTER TASK, ALTER PIPE, EXECUTE TASK).
// Snowflake behaviour kept: tasks are created and re-created (OR REPLACE) suspended
// (docs.snowflake.com/en/sql-reference/sql/create-task); IF NOT EXISTS keeps an existing stream's
// offset and pipe's load history; a paused pipe queues its notifications and loads them on resume
// (sql-reference/sql/alter-pipe, PIPE_EXECUTION_PAUSED).
import { describeStatement, type SqlStatement } from '../sql-scripts.ts';
import type { Handler } from './classify.ts';
import { emulationCatalog } from './emulation-catalog.ts';
import { EmulationError } from './emulation-error.ts';
import { deliverFile } from './snowpipe-load.ts';
import { parsePipe } from './snowpipe.ts';
import { parseProcedure, parseStream, parseTask, streamViewSql } from './streams-tasks.ts';
import { runTask } from './task-runner.ts';
import type { Warehouse } from './warehouse.ts';

type HandlerFn = (w: Warehouse, statement: SqlStatement) => Promise<void>;

const quote = (s: string) => s.replace(/'/g, "''");

function capture(pattern: RegExp, statement: SqlStatement, expected: string): string[] {
  const match = pattern.exec(statement.code);
  if (!match) throw new EmulationError(`${describeStatement(statement)}: the emulation reads only ${expected}`);
  return match.slice(1).map((part) => part ?? '');
}

async function attachDatabase(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [name = ''] = capture(/^CREATE DATABASE (?:IF NOT EXISTS )?(\w+)/i, statement, 'CREATE DATABASE <name>');
  if (name.toUpperCase() !== w.database) throw new EmulationError(`${describeStatement(statement)}: the harness emulates only <database> = ${w.database}`);
  await w.run(`ATTACH IF NOT EXISTS ':memory:' AS ${w.database}`);
  await w.run(`USE ${w.database}`);
  for (const sql of emulationCatalog(w.database)) await w.run(sql);
}

async function detachDatabase(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [name = ''] = capture(/^DROP DATABASE (?:IF EXISTS )?(\w+)/i, statement, 'DROP DATABASE <name>');
  await w.run('USE memory');
  await w.run(`DETACH DATABASE IF EXISTS ${name}`);
}

async function registerStage(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [raw = '', url = ''] = capture(/^CREATE (?:OR REPLACE )?STAGE (?:IF NOT EXISTS )?(\S+) .*?\bURL = '([^']+)'/i, statement, "CREATE STAGE <name> URL = '...'");
  const name = raw.toUpperCase();
  if (!w.stages.has(name) || !/ IF NOT EXISTS /i.test(statement.code)) w.stages.set(name, url);
}

async function registerPipe(w: Warehouse, statement: SqlStatement): Promise<void> {
  const definition = parsePipe(statement.code, w.context);
  if (w.pipes.has(definition.name) && /^CREATE PIPE IF NOT EXISTS/i.test(statement.code)) return;
  const stageUrl = w.stages.get(definition.stage);
  if (!stageUrl) throw new EmulationError(`pipe ${definition.name} reads stage ${definition.stage}, which no earlier statement creates`);
  // Re-creating a pipe drops its load history (sql/README.md, Upgrade): a fresh dedup map.
  w.pipes.set(definition.name, { definition, loaded: new Map(), stageUrl, queued: [] });
  await w.run(`INSERT OR REPLACE INTO ${w.database}.EMULATION.PIPES VALUES ('${definition.name}', FALSE, 'arn:aws:sqs:eu-north-1:000000000000:sf-snowpipe-emulated', NULL, NULL, NULL)`);
}

async function alterPipe(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [raw = '', flag = ''] = capture(/^ALTER PIPE (?:IF EXISTS )?(\S+) SET PIPE_EXECUTION_PAUSED = (TRUE|FALSE)$/i, statement, 'ALTER PIPE <name> SET PIPE_EXECUTION_PAUSED = TRUE | FALSE');
  const [name, paused] = [raw.toUpperCase(), flag.toUpperCase()];
  const pipe = w.pipes.get(name);
  if (!pipe) throw new Error(`Pipe '${name}' does not exist or not authorized.`);
  await w.run(`UPDATE ${w.database}.EMULATION.PIPES SET paused = ${paused} WHERE name = '${name}'`);
  if (paused === 'FALSE') for (const file of pipe.queued.splice(0)) await deliverFile(w, pipe, file);
}

async function createStream(w: Warehouse, statement: SqlStatement): Promise<void> {
  const stream = parseStream(statement.code);
  const [existing] = await w.rows(`SELECT 1 AS x FROM ${w.database}.EMULATION.STREAMS WHERE name = '${stream.name}'`);
  if (existing && stream.ifNotExists) return;
  const offset = stream.showInitialRows ? '-1' : `(SELECT coalesce(max(rowid), -1) FROM ${stream.table})`;
  await w.run(`INSERT OR REPLACE INTO ${w.database}.EMULATION.STREAMS VALUES ('${stream.name}', '${stream.table}', ${offset}, sf_current_timestamp(), sf_current_timestamp())`);
  await w.run(streamViewSql(stream, w.database));
}

async function createTask(w: Warehouse, statement: SqlStatement): Promise<void> {
  const task = parseTask(statement.code);
  for (const stream of task.streams) {
    const [row] = await w.rows(`SELECT 1 AS x FROM ${w.database}.EMULATION.STREAMS WHERE name = '${stream}'`);
    if (!row) throw new EmulationError(`task ${task.name} waits on ${stream}, which no earlier statement creates`);
  }
  if (!/^CALL /i.test(task.body)) w.translate(task.body, `task ${task.name}`);
  w.tasks.set(task.name, task);
  await w.run(`INSERT OR REPLACE INTO ${w.database}.EMULATION.TASKS VALUES ('${task.name}', 'suspended', 0, '${quote(task.body)}', '${quote(task.condition)}')`);
}

async function alterTask(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [raw = '', action = ''] = capture(/^ALTER TASK (?:IF EXISTS )?(\S+) (RESUME|SUSPEND)$/i, statement, 'ALTER TASK <name> RESUME | SUSPEND');
  const name = raw.toUpperCase();
  if (!w.tasks.has(name)) throw new Error(`Task '${name}' does not exist or not authorized.`);
  const state = action.toUpperCase() === 'RESUME' ? 'started' : 'suspended';
  await w.run(`UPDATE ${w.database}.EMULATION.TASKS SET state = '${state}', consecutive_failures = 0 WHERE name = '${name}'`);
}

async function executeTask(w: Warehouse, statement: SqlStatement): Promise<void> {
  const [name = ''] = capture(/^EXECUTE TASK (\S+)$/i, statement, 'EXECUTE TASK <name>');
  const task = w.tasks.get(name.toUpperCase());
  if (!task) throw new Error(`Task '${name}' does not exist or not authorized.`);
  await runTask(w, task);
}

export const HANDLERS: Record<Handler, HandlerFn> = {
  skip: async () => {},
  execute: async (w, s) => w.run(w.translate(s.code, describeStatement(s))),
  'attach-database': attachDatabase,
  'detach-database': detachDatabase,
  'file-format': async () => {},
  stage: registerStage,
  pipe: registerPipe,
  'alter-pipe': alterPipe,
  stream: createStream,
  task: createTask,
  'alter-task': alterTask,
  'execute-task': executeTask,
  procedure: async (w, s) => {
    const procedure = parseProcedure(s.text);
    w.procedures.set(procedure.name, procedure.statements);
  },
  call: async (_w, s) => {
    throw new EmulationError(`${describeStatement(s)}: a CALL outside a task is not part of a deploy`);
  },
};
