// Append-only streams, triggered tasks and the nondeterministic-merge check, emulated from the
// statements' own text (sql/05_streams.sql, sql/06_tasks.sql). Snowflake semantics kept
// (docs.snowflake.com/en/user-guide/streams-intro, user-guide/tasks-intro,
// sql-reference/functions/system_stream_has_data, sql-reference/parameters ERROR_ON_NONDETERMINISTIC_MERGE):
//   - a stream is an offset over its table; reading it shows the rows added after the offset;
//     the offset moves only when the DML that read it commits, and stays on rollback. Emulated by
//     a view `rowid > offset` and EMULATION.STREAMS, updated in the task's own DuckDB transaction;
//   - a task is created (and OR REPLACE re-created) suspended; a started task runs when its WHEN
//     SYSTEM$STREAM_HAS_DATA(...) stream is not empty; SUSPEND_TASK_AFTER_NUM_FAILURES consecutive
//     failures suspend it (FAILED_AND_AUTO_SUSPENDED); a CALLed procedure runs its statements;
//   - a MERGE whose source has two rows for one target key fails in Snowflake (DuckDB silently
//     applies both): checked before every MERGE (assertDeterministicMerge).
import { matchingParen } from './dialect.ts';
import { splitStatements } from '../sql-scripts.ts';

export interface Sql {
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
}

export interface StreamDefinition {
  name: string;
  table: string;
  ifNotExists: boolean;
  showInitialRows: boolean;
}

export interface TaskDefinition {
  name: string;
  streams: string[];
  /** Statement as written (after rendering), e.g. a MERGE or CALL <procedure>(). */
  body: string;
  condition: string;
  suspendAfterFailures: number;
}

const STREAM = /^CREATE (OR REPLACE )?STREAM (IF NOT EXISTS )?(\S+) ON TABLE (\S+)(.*)$/i;
const TASK = /^CREATE (?:OR REPLACE )?TASK (?:IF NOT EXISTS )?(\S+) (.*?) AS (MERGE|INSERT|CALL|DELETE|UPDATE) (.*)$/i;
const PROCEDURE = /^CREATE (?:OR REPLACE )?PROCEDURE (\S+?)\s*\(.*?\bAS \$\$(.*)\$\$\s*$/is;

export function parseStream(code: string): StreamDefinition {
  const match = STREAM.exec(code);
  if (!match) throw new Error(`cannot read CREATE STREAM ... ON TABLE ... from: ${code.slice(0, 100)}`);
  const [, , ifNotExists, name = '', table = '', options = ''] = match;
  if (!/APPEND_ONLY = TRUE/i.test(options)) throw new Error(`stream ${name}: only APPEND_ONLY = TRUE streams are emulated`);
  return { name: name.toUpperCase(), table: table.toUpperCase(), ifNotExists: ifNotExists !== undefined, showInitialRows: /SHOW_INITIAL_ROWS = TRUE/i.test(options) };
}

export function parseTask(code: string): TaskDefinition {
  const match = TASK.exec(code);
  if (!match) throw new Error(`cannot read CREATE TASK ... AS <statement> from: ${code.slice(0, 100)}`);
  const [, name = '', properties = '', verb = '', rest = ''] = match;
  const when = /\bWHEN (.*)$/i.exec(properties)?.[1] ?? '';
  const streams = [...when.matchAll(/SYSTEM\$STREAM_HAS_DATA\('([^']+)'\)/gi)].map((m) => (m[1] as string).toUpperCase());
  const leftover = when.replace(/SYSTEM\$STREAM_HAS_DATA\('[^']+'\)/gi, '').replace(/\bOR\b/gi, '').trim();
  if (streams.length === 0 || leftover !== '') throw new Error(`task ${name}: only WHEN SYSTEM$STREAM_HAS_DATA('...') [OR ...] is emulated, found WHEN ${when}`);
  const suspend = /SUSPEND_TASK_AFTER_NUM_FAILURES = (\d+)/i.exec(properties)?.[1];
  return { name: name.toUpperCase(), streams, body: `${verb} ${rest}`, condition: when, suspendAfterFailures: suspend ? Number(suspend) : 10 };
}

/** Statements of a `$$` Snowflake Scripting body; transaction control is the harness's job. */
export function parseProcedure(code: string): { name: string; statements: string[] } {
  const match = PROCEDURE.exec(code);
  if (!match) throw new Error(`cannot read CREATE PROCEDURE ... AS $$ ... $$ from: ${code.slice(0, 100)}`);
  const body = (match[2] as string).trim().replace(/^BEGIN\b(?!\s+TRANSACTION)/i, '').replace(/\bEND\s*;?\s*$/i, '');
  const statements = splitStatements('procedure', body)
    .map((s) => s.code)
    .filter((s) => !/^(BEGIN( TRANSACTION| WORK)?|START TRANSACTION|COMMIT( WORK)?|RETURN\b.*)$/i.test(s));
  const scripting = statements.find((s) => /^(DECLARE|LET|IF|FOR|WHILE|LOOP|CASE|EXCEPTION|RAISE|EXECUTE IMMEDIATE)\b/i.test(s));
  if (scripting) throw new Error(`procedure ${match[1]}: Snowflake Scripting '${scripting.slice(0, 40)}' is not emulated; keep bodies to plain statements`);
  return { name: (match[1] as string).toUpperCase(), statements };
}

export function streamViewSql(stream: StreamDefinition, database: string): string {
  return `CREATE OR REPLACE VIEW ${stream.name} AS SELECT * FROM ${stream.table} WHERE rowid > (SELECT offset_rowid FROM ${database}.EMULATION.STREAMS WHERE name = '${stream.name}')`;
}

export class NondeterministicMergeError extends Error {}

/**
 * Fails like Snowflake's ERROR_ON_NONDETERMINISTIC_MERGE when the MERGE's source has more than one
 * row for one ON key. `merge` is the rewritten DuckDB MERGE; runs in the caller's transaction.
 */
export async function assertDeterministicMerge(sql: Sql, merge: string): Promise<void> {
  const head = /^MERGE INTO \S+ (?:AS )?(\w+) USING /i.exec(merge);
  if (!head) throw new Error(`cannot read MERGE INTO <table> <alias> USING from: ${merge.slice(0, 100)}`);
  const target = head[1] as string;
  let at = head[0].length;
  let source: string;
  if (merge[at] === '(') {
    const close = matchingParen(merge, at);
    source = merge.slice(at + 1, close);
    at = close + 1;
  } else {
    const name = /^\S+/.exec(merge.slice(at))?.[0] as string;
    source = `SELECT * FROM ${name}`;
    at += name.length;
  }
  const tail = /^\s*(?:AS )?(\w+) ON (.*?) WHEN /is.exec(merge.slice(at));
  if (!tail) throw new Error(`cannot read the MERGE's source alias and ON condition: ${merge.slice(at, at + 100)}`);
  const [, alias = '', on = ''] = tail;
  const keys = on.split(/\s+AND\s+/i).map((pair) => {
    const sides = pair.trim().replace(/^\(|\)$/g, '').split(/\s*=\s*/);
    const key = sides.find((side) => side.startsWith(`${alias}.`));
    const other = sides.find((side) => side.startsWith(`${target}.`));
    if (sides.length !== 2 || !key || !other) throw new Error(`MERGE ON must be <${target}.col> = <${alias}.col> [AND ...], found: ${pair}`);
    return key;
  });
  const duplicates = await sql.rows(
    `SELECT ${keys.join(', ')}, count(*) AS n FROM (${source}) AS ${alias} GROUP BY ALL HAVING count(*) > 1 LIMIT 3`,
  );
  if (duplicates.length > 0) {
    throw new NondeterministicMergeError(`Duplicate row detected during DML action (nondeterministic MERGE): ${keys.join(', ')} = ${JSON.stringify(duplicates)}`);
  }
}
