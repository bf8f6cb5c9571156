// Static checks over the rendered sql/ scripts, run offline in CI (no Snowflake account here).
// Each check returns readable problems ("file:line statement...: what is wrong"); an empty list
// means the scripts are deployable in order and re-runnable:
//   - every object referenced is created by an earlier statement (scripts run in file order);
//   - stateful objects use IF NOT EXISTS and never OR REPLACE; the rest are re-runnable too;
//   - every stream is read by exactly one task, whose WHEN waits on that stream;
//   - every task and alert is resumed after its last CREATE;
//   - account-level statements live only in 00_account.sql (and the teardown);
//   - no correlated subquery outside WHERE: Snowflake rejects them there
//     (https://docs.snowflake.com/en/user-guide/querying-subqueries) while DuckDB accepts them, so
//     the executed suite could not notice;
//   - each script first switches to its role; the teardown drops exactly the account-level
//     objects the deploy created (everything else lives in the dropped database).
// It relies on the house rule that every object is written fully qualified as <database>.SCHEMA.NAME
// and every role/integration as <database>_NAME, which the reference check itself enforces.
import { describeStatement, type SqlStatement } from './sql-scripts.ts';

const STATELESS_KINDS = new Set(['VIEW', 'TASK', 'ALERT', 'PROCEDURE', 'FUNCTION']);
const ACCOUNT_KINDS = new Set(['DATABASE', 'STORAGE INTEGRATION', 'NOTIFICATION INTEGRATION', 'ROLE']);
const CREATE = new RegExp(
  '^CREATE (OR REPLACE )?(?:TEMPORARY |TRANSIENT |SECURE )?' +
    '(DATABASE|SCHEMA|TABLE|VIEW|STREAM|TASK|PIPE|STAGE|FILE FORMAT|STORAGE INTEGRATION|' +
    'NOTIFICATION INTEGRATION|ROLE|ALERT|PROCEDURE|FUNCTION) (IF NOT EXISTS )?([A-Z0-9_$.]+)',
);
const ACCOUNT_LEVEL = /^(CREATE (DATABASE|ROLE|STORAGE INTEGRATION|NOTIFICATION INTEGRATION)|GRANT (ROLE|DATABASE ROLE|OWNERSHIP ON DATABASE)|GRANT .* ON (ACCOUNT|INTEGRATION|WAREHOUSE) )/;
const TASK_BODY = / AS (?=MERGE|INSERT|CALL|DELETE|UPDATE|SELECT|BEGIN|EXECUTE|COPY)/;

export interface CreatedObject {
  kind: string;
  name: string;
  orReplace: boolean;
  ifNotExists: boolean;
  index: number;
  statement: SqlStatement;
}

export interface ScriptSet {
  /** Deploy statements in order (every numbered script except the teardown). */
  deploy: SqlStatement[];
  teardown: SqlStatement[];
  /** The rendered database name, e.g. DATAPIPE_CHECK. */
  database: string;
}

function problem(statement: SqlStatement, message: string): string {
  return `${describeStatement(statement, 70)}: ${message}`;
}

function upper(statement: SqlStatement): string {
  return statement.code.toUpperCase();
}

export function findCreates(statements: SqlStatement[]): CreatedObject[] {
  return statements.flatMap((statement, index) => {
    const match = CREATE.exec(upper(statement));
    if (!match) return [];
    const [, orReplace, kind = '', ifNotExists, name = ''] = match;
    return [{ kind, name, orReplace: orReplace !== undefined, ifNotExists: ifNotExists !== undefined, index, statement }];
  });
}

/** Names this statement mentions: DB, DB.SCHEMA, DB.SCHEMA.OBJECT and DB_NAME (roles, integrations). */
export function findReferences(code: string, database: string): string[] {
  const db = database.toUpperCase();
  const dotted = new RegExp(`(?<![A-Z0-9_$])${db}(?:\\.[A-Z0-9_$]+){0,2}(?![A-Z0-9_$])`, 'g');
  const suffixed = new RegExp(`(?<![A-Z0-9_$])${db}_[A-Z0-9_$]+`, 'g');
  const text = code.toUpperCase();
  const names = [...text.matchAll(dotted), ...text.matchAll(suffixed)].map((m) => m[0]);
  return [...new Set(names)].filter((name) => name.split('.')[1] !== 'INFORMATION_SCHEMA');
}

export function checkCreateRules(statements: SqlStatement[]): string[] {
  const problems: string[] = [];
  for (const statement of statements) {
    if (/^CREATE /.test(upper(statement)) && !CREATE.test(upper(statement))) {
      problems.push(problem(statement, 'CREATE of a kind the checker does not know; add it to static-analysis.ts'));
    }
  }
  for (const created of findCreates(statements)) {
    const stateless = STATELESS_KINDS.has(created.kind);
    if (created.orReplace && !stateless) {
      problems.push(problem(created.statement, `OR REPLACE on a stateful ${created.kind} would lose data or history; use IF NOT EXISTS`));
    } else if (!stateless && !created.ifNotExists) {
      problems.push(problem(created.statement, `${created.kind} must be created IF NOT EXISTS so a second deploy changes nothing`));
    } else if (stateless && !created.orReplace && !created.ifNotExists) {
      problems.push(problem(created.statement, `plain CREATE ${created.kind} fails on the second deploy; use OR REPLACE`));
    }
  }
  return problems;
}

export function checkReferencesDefinedEarlier(statements: SqlStatement[], database: string): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  const creates = new Map(findCreates(statements).map((c) => [c.index, c]));
  statements.forEach((statement, index) => {
    const own = creates.get(index)?.name;
    const parent = own?.includes('.') ? own.slice(0, own.lastIndexOf('.')) : undefined;
    if (parent && !defined.has(parent)) problems.push(problem(statement, `creates ${own} in ${parent}, which no earlier statement creates`));
    for (const name of findReferences(statement.code, database)) {
      if (name === parent) continue;
      if (name !== own && !defined.has(name)) {
        problems.push(problem(statement, `uses ${name}, which no earlier statement creates`));
      }
    }
    if (own) defined.add(own);
  });
  return problems;
}

export function checkStreamsHaveOneTask(statements: SqlStatement[], database: string): string[] {
  const creates = findCreates(statements);
  const tasks = creates.filter((c) => c.kind === 'TASK');
  const problems: string[] = [];
  for (const stream of creates.filter((c) => c.kind === 'STREAM')) {
    const consumers = tasks.filter((task) => taskParts(task).body.includes(stream.name));
    if (consumers.length !== 1) {
      const names = consumers.map((c) => c.name).join(', ') || 'none';
      problems.push(problem(stream.statement, `stream must be consumed by exactly one task, found ${consumers.length} (${names})`));
    }
    for (const task of consumers) {
      if (!taskParts(task).when.includes(`SYSTEM$STREAM_HAS_DATA('${stream.name}')`)) {
        problems.push(problem(task.statement, `task reads ${stream.name} but its WHEN does not wait on SYSTEM$STREAM_HAS_DATA('${stream.name}')`));
      }
    }
    for (const statement of statements) {
      const reads = findReferences(statement.code, database).includes(stream.name);
      const allowed = /^(CREATE (OR REPLACE )?TASK|CREATE STREAM|GRANT|REVOKE)/.test(upper(statement));
      if (reads && !allowed) problems.push(problem(statement, `reads ${stream.name} outside its task; that would move or share its offset`));
    }
  }
  return problems;
}

function taskParts(task: CreatedObject): { when: string; body: string } {
  const code = upper(task.statement);
  const split = TASK_BODY.exec(code);
  if (!split) return { when: code, body: '' };
  return { when: code.slice(0, split.index), body: code.slice(split.index) };
}

export function checkTasksAndAlertsResumed(statements: SqlStatement[]): string[] {
  const problems: string[] = [];
  const creates = findCreates(statements).filter((c) => c.kind === 'TASK' || c.kind === 'ALERT');
  for (const created of creates) {
    const lastCreate = Math.max(...creates.filter((c) => c.name === created.name).map((c) => c.index));
    if (created.index !== lastCreate) continue;
    const resume = `ALTER ${created.kind} ${created.name} RESUME`;
    const resumedAfter = statements.some((s, index) => index > lastCreate && upper(s) === resume);
    if (!resumedAfter) problems.push(problem(created.statement, `${created.kind.toLowerCase()} is created suspended; add '${resume}' after it`));
  }
  return problems;
}

export function checkAccountLevelIsolated(scripts: ScriptSet): string[] {
  return scripts.deploy
    .filter((s) => ACCOUNT_LEVEL.test(upper(s)) && !s.file.startsWith('00_'))
    .map((s) => problem(s, 'account-level statement outside 00_account.sql (the one script run as ACCOUNTADMIN)'));
}

export function checkRoles(scripts: ScriptSet): string[] {
  const problems: string[] = [];
  const files = [...new Set([...scripts.deploy, ...scripts.teardown].map((s) => s.file))];
  for (const file of files) {
    const first = [...scripts.deploy, ...scripts.teardown].find((s) => s.file === file);
    const wanted = file.startsWith('00_') || file.startsWith('99_') ? 'ACCOUNTADMIN' : `${scripts.database.toUpperCase()}_OWNER`;
    if (first && upper(first) !== `USE ROLE ${wanted}`) problems.push(problem(first, `script must start with USE ROLE ${wanted}`));
  }
  return problems;
}

export function checkTeardown(scripts: ScriptSet): string[] {
  const created = findCreates(scripts.deploy)
    .filter((c) => ACCOUNT_KINDS.has(c.kind))
    .map((c) => `${c.kind} ${c.name}`);
  const dropped: string[] = [];
  const problems: string[] = [];
  for (const statement of scripts.teardown) {
    const match = /^DROP (DATABASE|STORAGE INTEGRATION|NOTIFICATION INTEGRATION|ROLE) IF EXISTS ([A-Z0-9_$]+)$/.exec(upper(statement));
    if (match) dropped.push(`${match[1]} ${match[2]}`);
    else if (!/^USE ROLE /.test(upper(statement))) problems.push(problem(statement, 'teardown may only USE ROLE and DROP ... IF EXISTS account-level objects'));
  }
  for (const name of created.filter((n) => !dropped.includes(n))) problems.push(`teardown does not drop ${name}, which the deploy creates`);
  for (const name of dropped.filter((n) => !created.includes(n))) problems.push(`teardown drops ${name}, which the deploy does not create`);
  return problems;
}

const CLAUSE = /\b(SELECT|FROM|JOIN|WHERE|HAVING|ON|GROUP BY|ORDER BY|QUALIFY|USING|SET|VALUES|WITH|UNION|THEN|WHEN)\b/g;
const NOT_AN_ALIAS = new Set(['AS', 'ON', 'WHERE', 'JOIN', 'LEFT', 'RIGHT', 'INNER', 'FULL', 'CROSS', 'GROUP', 'ORDER', 'QUALIFY', 'UNION', 'LIMIT', 'USING', 'WHEN', 'SET']);

/** Code with strings blanked and VARIANT paths (`record:a.b`) removed, so neither looks like `alias.column`. */
function subqueryText(code: string): string {
  return code.toUpperCase().replace(/'(?:[^']|'')*'/g, "''").replace(/(?<=[A-Z0-9_)\]]):(?!:)[A-Z_][A-Z0-9_.]*/g, '');
}

/** Table and column aliases a piece of SQL defines (`AS x`, `FROM t x`, `JOIN t x`). */
function definedAliases(text: string): Set<string> {
  const aliases = new Set<string>();
  for (const m of text.matchAll(/\bAS\s+([A-Z_][A-Z0-9_]*)/g)) aliases.add(m[1] as string);
  for (const m of text.matchAll(/\b(?:FROM|JOIN)\s+[A-Z0-9_$.]+\s+([A-Z_][A-Z0-9_]*)/g)) {
    if (!NOT_AN_ALIAS.has(m[1] as string)) aliases.add(m[1] as string);
  }
  return aliases;
}

/** Index of the ')' closing the '(' at `open`, or the text length. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')' && (depth -= 1) === 0) return i;
  }
  return text.length;
}

/** The last clause keyword of the query that contains position `at`, ignoring nested parentheses. */
function clauseAt(text: string, at: number): string {
  let depth = 0;
  let start = 0;
  for (let i = at - 1; i >= 0; i -= 1) {
    if (text[i] === ')') depth += 1;
    else if (text[i] === '(' && (depth -= 1) < 0) {
      if (/^\(\s*(SELECT|WITH)\b/.test(text.slice(i))) { start = i + 1; break; }
      depth = 0;
    }
  }
  const scope = text.slice(start, at).replace(/\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)/g, ' ');
  return [...scope.matchAll(CLAUSE)].pop()?.[1] ?? 'SELECT';
}

/** Subqueries that use an alias of an enclosing query (correlated) anywhere but in a WHERE clause. */
export function checkCorrelatedSubqueries(statements: SqlStatement[]): string[] {
  const problems: string[] = [];
  for (const statement of statements) {
    const text = subqueryText(statement.code);
    for (const m of text.matchAll(/\(\s*(?:SELECT|WITH)\b/g)) {
      const end = closingParen(text, m.index);
      const inner = text.slice(m.index, end + 1);
      const outer = definedAliases(text.slice(0, m.index) + text.slice(end + 1));
      const own = definedAliases(inner);
      const used = [...inner.matchAll(/\b([A-Z_][A-Z0-9_]*)\.[A-Z_]/g)].map((u) => u[1] as string);
      const correlated = [...new Set(used.filter((q) => outer.has(q) && !own.has(q)))];
      const clause = clauseAt(text, m.index);
      if (correlated.length > 0 && clause !== 'WHERE') {
        problems.push(problem(statement, `correlated subquery (uses ${correlated.join(', ')} of the outer query) in ${clause}; Snowflake allows correlated subqueries only in WHERE: rewrite it as a join`));
      }
    }
  }
  return problems;
}

/** Every check above; an empty list means the script set passes. */
export function analyzeScripts(scripts: ScriptSet): string[] {
  return [
    ...checkCreateRules(scripts.deploy),
    ...checkReferencesDefinedEarlier(scripts.deploy, scripts.database),
    ...checkStreamsHaveOneTask(scripts.deploy, scripts.database),
    ...checkTasksAndAlertsResumed(scripts.deploy),
    ...checkCorrelatedSubqueries(scripts.deploy),
    ...checkAccountLevelIsolated(scripts),
    ...checkRoles(scripts),
    ...checkTeardown(scripts),
  ];
}
