// Snowpipe, emulated from the pipe's own COPY statement (sql/02_ingest.sql): its PATTERN, target
// table, column list, SELECT list (with the METADATA$ columns) and ON_ERROR are parsed from the
// rendered text, and every load executes that SELECT list on DuckDB over the staged lines.
// Behaviour kept from docs.snowflake.com:
//   - the PATTERN regex is matched against the path relative to the stage URL, and METADATA$FILENAME
//     is that path (user-guide/querying-metadata; sql-reference/sql/copy-into-table, PATTERN);
//   - load metadata dedups by file name for 14 days, even if the content changed
//     (user-guide/data-load-snowpipe-intro, "Load history"); a failed file is not retried;
//   - COMPRESSION = AUTO reads gzip (file-format options);
//   - ON_ERROR: Snowpipe's default SKIP_FILE drops the whole file on one bad line; CONTINUE loads
//     the good lines; COPY_HISTORY says Loaded / Partially loaded / Load failed with the first
//     error (user-guide/data-load-snowpipe-errors, sql-reference/functions/copy_history).
//     ABORT_STATEMENT is not allowed in a pipe (sql-reference/sql/create-pipe).
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { findLeftovers, rewriteSql, type DialectContext } from './dialect.ts';

export interface PipeDefinition {
  name: string;
  target: string;
  columns: string[];
  /** The COPY's SELECT list, rewritten to read EMULATION.STAGED_ROWS. */
  selectList: string[];
  stage: string;
  pattern: RegExp;
  onError: 'CONTINUE' | 'SKIP_FILE';
}

const PIPE = /^CREATE (?:OR REPLACE )?PIPE (?:IF NOT EXISTS )?(\S+) .*? AS COPY INTO (\S+) \(([^)]*)\) FROM \( ?SELECT (.*) FROM @(\S+?) ?\) (.*)$/i;
const METADATA = new Map([
  ['METADATA$FILENAME', 'metadata_filename'],
  ['METADATA$FILE_ROW_NUMBER', 'metadata_file_row_number'],
  ['METADATA$FILE_CONTENT_KEY', 'metadata_file_content_key'],
  ['METADATA$FILE_LAST_MODIFIED', 'metadata_file_last_modified'],
  ['METADATA$START_SCAN_TIME', 'metadata_start_scan_time'],
]);

/** Splits on top-level commas (not inside parentheses or strings). */
export function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i += 1) {
    const ch = list[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth += 1;
    else if (!quoted && ch === ')') depth -= 1;
    else if (!quoted && depth === 0 && ch === ',') {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts;
}

function stagedExpression(expr: string, context: DialectContext): string {
  const replaced = expr
    .replace(/\$1\b/g, 'c1')
    .replace(/\bMETADATA\$\w+/gi, (name) => {
      const column = METADATA.get(name.toUpperCase());
      if (!column) throw new Error(`pipe COPY uses ${name}, which the emulation does not provide`);
      return column;
    });
  if (/\$\d/.test(replaced)) throw new Error(`pipe COPY column ${expr}: only $1 (the whole JSON value) is emulated`);
  return rewriteSql(replaced, context);
}

export function parsePipe(code: string, context: DialectContext): PipeDefinition {
  const match = PIPE.exec(code);
  if (!match) throw new Error(`cannot read the pipe's COPY INTO <table> (<columns>) FROM (SELECT ... FROM @stage) from: ${code.slice(0, 120)}`);
  const [, name = '', target = '', columns = '', select = '', stage = '', options = ''] = match;
  const pattern = /\bPATTERN = '((?:[^']|'')*)'/i.exec(options)?.[1];
  if (!pattern) throw new Error(`pipe ${name}: no PATTERN; the emulation (and the agent's key layout) expects one`);
  const onError = (/\bON_ERROR = '?(\w+)'?/i.exec(options)?.[1] ?? 'SKIP_FILE').toUpperCase();
  if (onError !== 'CONTINUE' && onError !== 'SKIP_FILE') throw new Error(`pipe ${name}: ON_ERROR = ${onError} is not emulated (pipes reject ABORT_STATEMENT)`);
  const selectList = splitTopLevel(select).map((expr) => stagedExpression(expr, context));
  const leftovers = selectList.flatMap(findLeftovers);
  if (leftovers.length > 0) throw new Error(`pipe ${name}: Snowflake syntax left after the rewrite: ${leftovers.join('; ')}`);
  return {
    name: name.toUpperCase(),
    target: target.toUpperCase(),
    columns: splitTopLevel(columns),
    selectList,
    stage: stage.toUpperCase(),
    pattern: new RegExp(pattern.replace(/''/g, "'")),
    onError,
  };
}

export interface StagedFile {
  /** Path relative to the stage URL (METADATA$FILENAME). */
  path: string;
  body: Buffer;
  lastModified: Date;
}

export interface ParsedFile {
  rows: { line: number; json: string }[];
  errors: { line: number; message: string }[];
  /** Set when the whole file is unreadable (bad gzip). */
  fatal?: string;
}

/** Lines of an NDJSON (or gzipped NDJSON) file, each either a JSON value or a parse error. */
export function parseStagedFile(file: StagedFile): ParsedFile {
  let text: string;
  try {
    const gzip = file.body[0] === 0x1f && file.body[1] === 0x8b;
    text = (gzip ? gunzipSync(file.body) : file.body).toString('utf8');
  } catch (error) {
    return { rows: [], errors: [], fatal: `Invalid data encountered during decompression for file: '${file.path}' (${(error as Error).message})` };
  }
  const rows: ParsedFile['rows'] = [];
  const errors: ParsedFile['errors'] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    try {
      JSON.parse(raw);
      rows.push({ line: index + 1, json: raw });
    } catch (error) {
      errors.push({ line: index + 1, message: `Error parsing JSON: ${(error as Error).message}` });
    }
  });
  return { rows, errors };
}

export function contentKey(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export type LoadStatus = 'Loaded' | 'Partially loaded' | 'Load failed';

export function loadStatus(parsed: ParsedFile, onError: PipeDefinition['onError']): { status: LoadStatus; load: boolean } {
  if (parsed.fatal) return { status: 'Load failed', load: false };
  if (parsed.errors.length === 0) return { status: 'Loaded', load: true };
  if (onError === 'SKIP_FILE' || parsed.rows.length === 0) return { status: 'Load failed', load: false };
  return { status: 'Partially loaded', load: true };
}
