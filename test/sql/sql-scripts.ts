// Reads the numbered scripts in sql/, renders their Snowflake CLI `<% name %>` variables the way
// `snow sql -f file -D name=value` does, and splits them into statements. Shared by the offline
// checks (sqlfluff, static analysis, envelope paths) and the live deploy test, so all of them see
// the same statements a deploy runs.
//
// The splitter understands what our scripts use: '--' and '/* */' comments, '...' strings with ''
// escapes, "..." identifiers and $$...$$ bodies. A ';' inside any of those does not end a statement.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SQL_DIR = join(REPO_ROOT, 'sql');

/** Values used to render scripts offline. Realistic shapes: sqlfluff's S3 path rule needs a real bucket name. */
export const SAMPLE_VARIABLES: Readonly<Record<string, string>> = {
  database: 'DATAPIPE_CHECK',
  bucket: 'example-datapipe-bucket',
  prefix: 'agents/',
  aws_role_arn: 'arn:aws:iam::123456789012:role/datapipe-snowflake-read',
  warehouse: 'DATAPIPE_WH',
  alert_email: 'ops@example.com',
};

export interface SqlScript {
  /** File name inside sql/, e.g. 02_ingest.sql */
  file: string;
  /** Number from the file name (00..99); deploy order. */
  order: number;
  text: string;
}

export interface SqlStatement {
  file: string;
  /** 1-based line of the statement's first code character in the file. */
  line: number;
  /** Statement as written, without the trailing ';' (comments inside kept). */
  text: string;
  /** Same statement with comments removed and whitespace collapsed; for matching. */
  code: string;
}

const SCRIPT_NAME = /^(\d{2})_[a-z0-9_]+\.sql$/;
export const TEARDOWN_FILE = '99_teardown.sql';
export const OPTIONAL_FILES = new Set(['10_alert.sql']);

/** Every numbered script in deploy order, teardown included. Other files in sql/ are ignored. */
export function loadScripts(dir: string = SQL_DIR): SqlScript[] {
  return readdirSync(dir)
    .filter((name) => SCRIPT_NAME.test(name))
    .sort()
    .map((file) => ({ file, order: Number(file.slice(0, 2)), text: readFileSync(join(dir, file), 'utf8') }));
}

/** Names of the `<% name %>` variables a text uses. */
export function listVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/<%\s*([A-Za-z_][\w.]*)\s*%>/g)].map((m) => m[1] as string))];
}

/** Replaces `<% name %>` like Snowflake CLI; a variable without a value is an error, as in `snow`. */
export function renderTemplate(text: string, variables: Readonly<Record<string, string>>, file = '<text>'): string {
  return text.replace(/<%\s*([A-Za-z_][\w.]*)\s*%>/g, (_match, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`${file}: variable '${name}' has no value; pass -D ${name}=...`);
    return value;
  });
}

interface ScanState {
  index: number;
  line: number;
}

/** Advances past a quoted run or comment starting at state.index; returns false if none starts there. */
function skipQuotedOrComment(text: string, state: ScanState): boolean {
  const rest = text.slice(state.index, state.index + 2);
  let end: number;
  if (rest === '--') end = text.indexOf('\n', state.index) === -1 ? text.length : text.indexOf('\n', state.index);
  else if (rest === '/*') end = closeOf(text, state.index + 2, '*/');
  else if (rest === '$$') end = closeOf(text, state.index + 2, '$$');
  else if (rest[0] === "'") end = closeQuote(text, state.index, "'");
  else if (rest[0] === '"') end = closeQuote(text, state.index, '"');
  else return false;
  state.line += countNewlines(text.slice(state.index, end));
  state.index = end;
  return true;
}

function closeOf(text: string, from: number, marker: string): number {
  const at = text.indexOf(marker, from);
  return at === -1 ? text.length : at + marker.length;
}

/** End of a quoted run where a doubled quote is an escaped quote. */
function closeQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return text.length;
}

function countNewlines(s: string): number {
  return s.split('\n').length - 1;
}

/** Removes comments (keeping strings and $$ bodies) and collapses whitespace. */
export function stripComments(text: string): string {
  let out = '';
  const state: ScanState = { index: 0, line: 1 };
  while (state.index < text.length) {
    const start = state.index;
    if (skipQuotedOrComment(text, state)) {
      const piece = text.slice(start, state.index);
      out += piece.startsWith('--') || piece.startsWith('/*') ? ' ' : piece;
    } else {
      out += text[state.index];
      state.index += 1;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Splits a script into statements on top-level ';'. Empty statements (only comments) are dropped. */
export function splitStatements(file: string, text: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const state: ScanState = { index: 0, line: 1 };
  let start = 0;
  let startLine = 1;
  const flush = (end: number): void => {
    const raw = text.slice(start, end);
    const code = stripComments(raw);
    if (code !== '') statements.push({ file, line: startLine + leadingLines(raw), text: raw.trim(), code });
  };
  while (state.index < text.length) {
    if (skipQuotedOrComment(text, state)) continue;
    const ch = text[state.index];
    if (ch === ';') {
      flush(state.index);
      start = state.index + 1;
      startLine = state.line;
    } else if (ch === '\n') state.line += 1;
    state.index += 1;
  }
  flush(text.length);
  return statements;
}

/** Lines before the first code character (skipping blank lines and comments). */
function leadingLines(raw: string): number {
  const state: ScanState = { index: 0, line: 0 };
  while (state.index < raw.length) {
    const ch = raw[state.index] as string;
    if (ch === '-' || ch === '/') {
      const before = state.index;
      if (skipQuotedOrComment(raw, state) && state.index !== before) continue;
    }
    if (ch === '\n') state.line += 1;
    else if (!/\s/.test(ch)) break;
    state.index += 1;
  }
  return state.line;
}

/** All statements of the given scripts, rendered with the variables. */
export function renderedStatements(
  scripts: SqlScript[],
  variables: Readonly<Record<string, string>> = SAMPLE_VARIABLES,
): SqlStatement[] {
  return scripts.flatMap((script) => splitStatements(script.file, renderTemplate(script.text, variables, script.file)));
}

/** "02_ingest.sql:31 CREATE PIPE IF NOT EXISTS ..." for messages. */
export function describeStatement(statement: SqlStatement, width = 90): string {
  const head = statement.code.length > width ? `${statement.code.slice(0, width)}...` : statement.code;
  return `${statement.file}:${statement.line} ${head}`;
}
