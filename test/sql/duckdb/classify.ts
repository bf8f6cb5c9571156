// Which statements of sql/ DuckDB executes, which the harness emulates, and which stay
// Snowflake-only (covered by the live test, test/sql/live-deploy.test.ts). Derived from the
// statement text by the first matching rule below; a statement no rule matches fails the suite,
// so a new kind of statement gets a decision, not a silent skip.
import type { SqlStatement } from '../sql-scripts.ts';

export type StatementClass = 'executed' | 'emulated' | 'snowflake-only';

export type Handler =
  | 'skip'
  | 'execute'
  | 'attach-database'
  | 'detach-database'
  | 'file-format'
  | 'stage'
  | 'pipe'
  | 'alter-pipe'
  | 'stream'
  | 'task'
  | 'alter-task'
  | 'execute-task'
  | 'procedure'
  | 'call';

interface ClassRule {
  pattern: RegExp;
  class: StatementClass;
  handler: Handler;
  why: string;
}

export const CLASS_RULES: readonly ClassRule[] = [
  { pattern: /^USE (ROLE|SECONDARY ROLES|WAREHOUSE) /, class: 'snowflake-only', handler: 'skip', why: 'session role/warehouse; DuckDB has no roles' },
  { pattern: /^(GRANT|REVOKE) /, class: 'snowflake-only', handler: 'skip', why: 'privileges; the live test runs them' },
  { pattern: /^(CREATE (OR REPLACE )?|DROP |ALTER )ROLE /, class: 'snowflake-only', handler: 'skip', why: 'roles' },
  { pattern: /^(CREATE (OR REPLACE )?|DROP |ALTER |DESC(RIBE)? )(STORAGE |NOTIFICATION )?INTEGRATION /, class: 'snowflake-only', handler: 'skip', why: 'account integrations (S3 trust, email)' },
  { pattern: /^(CREATE (OR REPLACE )?|ALTER |DROP |EXECUTE )ALERT /, class: 'snowflake-only', handler: 'skip', why: 'alert and SYSTEM$SEND_EMAIL; its condition reads MONITORING.PROBLEMS, which is executed' },
  { pattern: /^(CREATE (OR REPLACE )?|ALTER |DROP )WAREHOUSE /, class: 'snowflake-only', handler: 'skip', why: 'compute' },
  { pattern: /^(SHOW|DESC|DESCRIBE|LIST|PUT|GET|REMOVE) /, class: 'snowflake-only', handler: 'skip', why: 'metadata and stage-file commands' },
  { pattern: /^CREATE DATABASE /, class: 'emulated', handler: 'attach-database', why: 'an in-memory DuckDB database ATTACHed under the same name' },
  { pattern: /^DROP DATABASE /, class: 'emulated', handler: 'detach-database', why: 'DETACH' },
  { pattern: /^CREATE (OR REPLACE )?FILE FORMAT /, class: 'emulated', handler: 'file-format', why: 'registered; the pipe emulation reads JSON lines, gzip detected' },
  { pattern: /^CREATE (OR REPLACE )?STAGE /, class: 'emulated', handler: 'stage', why: 'registered: its URL decides the path METADATA$FILENAME and PATTERN see' },
  { pattern: /^CREATE (OR REPLACE )?PIPE /, class: 'emulated', handler: 'pipe', why: 'COPY parsed; its SELECT list runs on DuckDB for every staged file' },
  { pattern: /^ALTER PIPE /, class: 'emulated', handler: 'alter-pipe', why: 'pause/resume' },
  { pattern: /^CREATE (OR REPLACE )?STREAM /, class: 'emulated', handler: 'stream', why: 'an offset table plus a view of the rows after it' },
  { pattern: /^CREATE (OR REPLACE )?TASK /, class: 'emulated', handler: 'task', why: 'registered suspended; its body runs on DuckDB when its stream has data' },
  { pattern: /^ALTER TASK /, class: 'emulated', handler: 'alter-task', why: 'resume/suspend' },
  { pattern: /^EXECUTE TASK /, class: 'emulated', handler: 'execute-task', why: 'one run now' },
  { pattern: /^CREATE (OR REPLACE )?PROCEDURE /, class: 'emulated', handler: 'procedure', why: 'its $$ body statements run on DuckDB when CALLed' },
  { pattern: /^CALL /, class: 'emulated', handler: 'call', why: 'runs the procedure body' },
  {
    pattern: /^(CREATE (OR REPLACE )?(SCHEMA|TABLE|VIEW) |ALTER (TABLE|VIEW) |DROP (TABLE|VIEW|SCHEMA) |INSERT |UPDATE |DELETE |MERGE |SELECT |WITH )/,
    class: 'executed',
    handler: 'execute',
    why: 'rewritten (dialect.ts) and run on DuckDB',
  },
];

export interface Classified {
  statement: SqlStatement;
  class: StatementClass;
  handler: Handler;
}

export function classify(statement: SqlStatement): Classified {
  const code = statement.code.toUpperCase();
  const rule = CLASS_RULES.find((r) => r.pattern.test(code));
  if (!rule) throw new Error(`${statement.file}:${statement.line}: no classification rule for '${statement.code.slice(0, 60)}'; add one to test/sql/duckdb/classify.ts`);
  return { statement, class: rule.class, handler: rule.handler };
}

export interface ClassSummary {
  executed: number;
  emulated: number;
  'snowflake-only': number;
}

export function summarise(classified: Classified[]): ClassSummary {
  const summary: ClassSummary = { executed: 0, emulated: 0, 'snowflake-only': 0 };
  for (const c of classified) summary[c.class] += 1;
  return summary;
}
