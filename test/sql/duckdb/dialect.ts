// Snowflake -> DuckDB: the mechanical rewrite that lets the rendered sql/ statements run on DuckDB,
// and the detector that fails loudly on any Snowflake construct the rewrite left behind.
//
// The rewrite is a table of rules, applied in order, each with the reason it exists. Rules that
// look at code (paths, functions, types) skip string literals, so a COMMENT or an email address is
// never rewritten. Snowflake functions are mapped to `sf_*` macros (duckdb/functions.ts) rather
// than to DuckDB built-ins of the same name, so that the detector can tell a translated call
// (sf_iff) from one that survived (IFF) and a DuckDB function with a Snowflake name but different
// semantics is never used by accident (DuckDB's FLATTEN flattens lists; LEAST ignores NULLs).
// Facts measured on DuckDB 1.5: /work/shared/notes/duckdb-sql.md. Snowflake semantics from
// docs.snowflake.com (querying-semistructured, functions/flatten, functions/iff, data-types-*).
import { SF_FUNCTIONS } from './functions.ts';

export interface DialectContext {
  /** Rendered database name (DATAPIPE_CHECK); emulated schemas are created inside it. */
  database: string;
}

interface Rule {
  name: string;
  /** Applied to the whole statement (may cross string literals) or only to the code between them. */
  scope: 'statement' | 'code';
  apply(sql: string, context: DialectContext): string;
  why: string;
}

const STRING = "'(?:[^']|'')*'";
const IDENT_PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?';
const JSON_PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*';

function regexRule(name: string, scope: Rule['scope'], pattern: RegExp, replacement: string, why: string): Rule {
  return { name, scope, apply: (sql) => sql.replace(pattern, replacement), why };
}

/** Removes `KEYWORD (...)` including a balanced parenthesised list. */
function removeBalanced(sql: string, keyword: RegExp): string {
  let out = sql;
  for (let match = keyword.exec(out); match; match = keyword.exec(out)) {
    const open = out.indexOf('(', match.index + match[0].length - 1);
    const close = matchingParen(out, open);
    out = out.slice(0, match.index) + out.slice(close + 1);
  }
  return out;
}

/** Index of the ')' closing the '(' at `open` (string literals skipped). */
export function matchingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i += 1) {
    const ch = sql[i];
    if (ch === "'") i = sql.indexOf("'", i + 1) === -1 ? sql.length : skipString(sql, i);
    else if (ch === '(') depth += 1;
    else if (ch === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis at ${open} in: ${sql.slice(open, open + 80)}`);
}

function skipString(sql: string, start: number): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
    else if (sql[i] === "'") return i;
    else i += 1;
  }
  return sql.length;
}

/** `TABLE(db.INFORMATION_SCHEMA.F(args))` -> `db.SF_INFORMATION_SCHEMA.F(args)` (DuckDB table macro). */
function unwrapTableFunctions(sql: string, context: DialectContext): string {
  const call = new RegExp(`\\bTABLE\\(\\s*(${context.database}\\.)?INFORMATION_SCHEMA\\.`, 'gi');
  let out = sql;
  for (let match = call.exec(out); match; match = call.exec(out)) {
    const open = match.index + match[0].indexOf('(');
    const close = matchingParen(out, open);
    const inner = out.slice(open + 1, close).trim().replace(/^(\w+\.)?INFORMATION_SCHEMA\./i, `${context.database}.SF_INFORMATION_SCHEMA.`);
    out = out.slice(0, match.index) + inner + out.slice(close + 1);
    call.lastIndex = 0;
  }
  return out;
}

export const RULES: readonly Rule[] = [
  regexRule('copy-grants', 'statement', /\s+COPY GRANTS\b/gi, '', 'DuckDB has no grants; COPY GRANTS only keeps privileges across OR REPLACE.'),
  regexRule('object-comment', 'statement', new RegExp(`\\s+COMMENT\\s*=\\s*${STRING}`, 'gi'), '', 'Object COMMENT = ... is metadata DuckDB does not take in CREATE.'),
  regexRule('column-comment', 'statement', new RegExp(`\\s+COMMENT\\s+${STRING}`, 'gi'), '', 'Column COMMENT ... likewise.'),
  regexRule('retention', 'code', /\s+(DATA_RETENTION_TIME_IN_DAYS|MAX_DATA_EXTENSION_TIME_IN_DAYS)\s*=\s*\d+/gi, '', 'Time Travel settings; DuckDB keeps no history.'),
  { name: 'cluster-by', scope: 'code', apply: (sql) => removeBalanced(sql, /\s+CLUSTER BY\s*\(/gi), why: 'Clustering keys are a storage hint.' },
  { name: 'table-functions', scope: 'statement', apply: unwrapTableFunctions, why: 'INFORMATION_SCHEMA table functions are stubbed as DuckDB table macros in SF_INFORMATION_SCHEMA (functions.ts).' },
  regexRule('named-arguments', 'code', /\s*=>\s*/g, ' := ', 'Snowflake named arguments `name => v` are DuckDB macro arguments `name := v`.'),
  regexRule('flatten', 'code', /\bLATERAL FLATTEN\(\s*INPUT\s*:=\s*/gi, 'json_each(', 'FLATTEN(INPUT => v) over an object/array is json_each(v) (columns key, value); DuckDB joins it laterally.'),
  regexRule('path-brackets', 'code', new RegExp(`\\b(${IDENT_PATH})\\[(${IDENT_PATH})\\]::STRING`, 'g'), `json_extract_string($1, '$."' || $2 || '"')`, 'v[k]::STRING: element by a computed key, as text without JSON quotes.'),
  regexRule('path-string', 'code', new RegExp(`\\b(${IDENT_PATH}):(${JSON_PATH})::STRING`, 'g'), "json_extract_string($1, '$.$2')", 'v:a.b::STRING is the element as text; JSON null and a missing element both give NULL.'),
  regexRule('path', 'code', new RegExp(`\\b(${IDENT_PATH}):(${JSON_PATH})(?![:\\w])`, 'g'), "json_extract($1, '$.$2')", 'v:a.b is the element as JSON (VARIANT).'),
  regexRule('system-functions', 'code', /\bSYSTEM\$PIPE_STATUS\(/gi, 'sf_system_pipe_status(', 'SYSTEM$PIPE_STATUS is a macro over the emulated pipe registry.'),
  regexRule('current-timestamp', 'code', /\bCURRENT_TIMESTAMP(\(\))?/gi, 'sf_current_timestamp()', 'Reads the harness clock, so freshness and windows are testable at a fixed time.'),
  regexRule('type-variant', 'code', /\bVARIANT\b/gi, 'JSON', 'VARIANT holds one JSON value.'),
  regexRule('type-timestamp-tz', 'code', /\bTIMESTAMP_(TZ|LTZ)\b/gi, 'TIMESTAMPTZ', 'An instant; DuckDB stores no offset (all values here are UTC).'),
  regexRule('type-timestamp-ntz', 'code', /\bTIMESTAMP_NTZ\b/gi, 'TIMESTAMP', 'Wall-clock time without zone.'),
  regexRule('type-number-scale', 'code', /\bNUMBER\s*\(/gi, 'DECIMAL(', 'NUMBER(p,s) is DECIMAL(p,s).'),
  regexRule('type-number', 'code', /\bNUMBER\b/gi, 'DECIMAL(38,0)', 'NUMBER defaults to NUMBER(38,0).'),
  regexRule('type-float', 'code', /\bFLOAT\b/gi, 'DOUBLE', 'Snowflake FLOAT is 64-bit; DuckDB FLOAT is 32-bit REAL.'),
  {
    name: 'functions',
    scope: 'code',
    apply: (sql) => sql.replace(/\b([A-Z_][A-Z0-9_]*)\s*\(/gi, (all: string, name: string) => {
      const fn = SF_FUNCTIONS.find((f) => f.snowflake === name.toUpperCase());
      return fn ? `${fn.macro}(` : all;
    }),
    why: 'Snowflake functions without a DuckDB equivalent of the same semantics become sf_* macros (functions.ts).',
  },
];

/** Applies `fn` to the parts of `sql` outside string literals. */
function outsideStrings(sql: string, fn: (code: string) => string): string {
  const parts = sql.split(new RegExp(`(${STRING})`, 'g'));
  return parts.map((part, index) => (index % 2 === 1 ? part : fn(part))).join('');
}

export function rewriteSql(sql: string, context: DialectContext): string {
  let out = sql;
  for (const rule of RULES) out = rule.scope === 'statement' ? rule.apply(out, context) : outsideStrings(out, (code) => rule.apply(code, context));
  return out;
}

interface Leftover {
  pattern: RegExp;
  what: string;
}

/** Snowflake constructs that must not reach DuckDB: each either has a rule above or no emulation at all. */
const LEFTOVERS: readonly Leftover[] = [
  { pattern: /\w:(?![:=])[A-Za-z_"[]/, what: 'semi-structured path access (v:a.b)' },
  { pattern: /\w\[/, what: 'bracket element access (v[k])' },
  { pattern: /\b(VARIANT|OBJECT|TIMESTAMP_[NLT]?TZ|NUMBER|FLOAT)\b/i, what: 'a Snowflake-only or differently sized data type' },
  { pattern: /\bFLATTEN\b/i, what: 'FLATTEN (DuckDB has a FLATTEN for lists with other semantics)' },
  { pattern: /\b(LEAST|GREATEST)\s*\(/i, what: 'LEAST/GREATEST (DuckDB ignores NULLs, Snowflake returns NULL)' },
  { pattern: /\$\$|\bSYSTEM\$|\bMETADATA\$|@[A-Za-z_]/i, what: 'a procedure body, SYSTEM$ function, METADATA$ column or stage reference' },
  { pattern: /=>|\bTABLE\s*\(|\bSNOWFLAKE\.|\bINFORMATION_SCHEMA\.\w+\s*\(/i, what: 'a Snowflake table function call or account view' },
  { pattern: /\bCOPY GRANTS\b|\bCLUSTER BY\b|\bCOMMENT\s*=|_IN_DAYS\b|\bCURRENT_TIMESTAMP\b/i, what: 'a Snowflake-only clause or an unrewritten CURRENT_TIMESTAMP' },
  {
    pattern: /\b(IFF|ZEROIFNULL|NVL2?|DIV0|EQUAL_NULL|TRY_TO_\w+|TO_(VARCHAR|CHAR|NUMBER|DOUBLE|TIMESTAMP\w*|DATE|VARIANT|OBJECT|ARRAY|JSON)|CONVERT_TIMEZONE|PARSE_JSON|TRY_PARSE_JSON|OBJECT_\w+|ARRAY_\w+|AS_\w+|IS_(OBJECT|ARRAY|NULL_VALUE)|GET_PATH|GET|DATEADD|TIMEADD|TIMESTAMPADD|REGEXP_SUBSTR|REGEXP_LIKE|HASH_AGG|STRTOK\w*|TYPEOF)\s*\(/i,
    what: 'a Snowflake function without an sf_* macro',
  },
];

/** Every Snowflake construct left in rewritten SQL (outside string literals), e.g. ["IFF( (a Snowflake function ...)"]. */
export function findLeftovers(rewritten: string): string[] {
  const code = rewritten.split(new RegExp(STRING, 'g')).join("''");
  return LEFTOVERS.flatMap(({ pattern, what }) => {
    const match = new RegExp(pattern.source, `${pattern.flags}g`).exec(code);
    return match ? [`'${code.slice(Math.max(0, match.index - 20), match.index + 20)}' (${what})`] : [];
  });
}
