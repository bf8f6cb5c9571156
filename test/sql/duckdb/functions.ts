// Snowflake scalar functions the scripts use, as DuckDB macros named sf_<name>. Each carries the
// Snowflake semantics it keeps (docs.snowflake.com/en/sql-reference/functions/<name>) and where
// DuckDB's own function of that name would differ. dialect.ts maps the calls; this module creates
// the macros in the emulated database (CREATE OR REPLACE, so a second deploy is harmless).

export interface SfFunction {
  snowflake: string;
  macro: string;
  /** DuckDB macro parameter list(s) and body, one overload per entry. */
  overloads: string[];
  why: string;
}

export const SF_FUNCTIONS: readonly SfFunction[] = [
  { snowflake: 'IFF', macro: 'sf_iff', overloads: ['(c, a, b) AS CASE WHEN c THEN a ELSE b END'], why: 'IFF(cond, a, b); a NULL cond takes b.' },
  { snowflake: 'TRY_TO_NUMBER', macro: 'sf_try_to_number', overloads: ['(s) AS TRY_CAST(s AS DECIMAL(38,0))'], why: 'NULL instead of an error; scale 0 rounds like NUMBER(38,0).' },
  { snowflake: 'TRY_TO_DOUBLE', macro: 'sf_try_to_double', overloads: ['(s) AS TRY_CAST(s AS DOUBLE)'], why: 'NULL instead of an error.' },
  { snowflake: 'TRY_TO_TIMESTAMP_TZ', macro: 'sf_try_to_timestamp_tz', overloads: ['(s) AS TRY_CAST(s AS TIMESTAMPTZ)'], why: 'ISO 8601 with offset or Z -> an instant, NULL when unparseable.' },
  {
    snowflake: 'CONVERT_TIMEZONE',
    macro: 'sf_convert_timezone',
    overloads: ["(tz, ts) AS CASE WHEN upper(tz) = 'UTC' THEN ts ELSE error('sf_convert_timezone: only UTC is emulated') END"],
    why: "CONVERT_TIMEZONE('UTC', tz_value) keeps the instant; the session runs in UTC, so it is the identity.",
  },
  { snowflake: 'AS_OBJECT', macro: 'sf_as_object', overloads: ["(v) AS CASE WHEN json_type(v) = 'OBJECT' THEN v END"], why: 'NULL unless the VARIANT holds an object.' },
  {
    snowflake: 'OBJECT_DELETE',
    macro: 'sf_object_delete',
    overloads: ['(o, k1) AS json_merge_patch(o, json_object(CAST(k1 AS VARCHAR), NULL))', '(o, k1, k2) AS json_merge_patch(o, json_object(CAST(k1 AS VARCHAR), NULL, CAST(k2 AS VARCHAR), NULL))'],
    why: 'Removes keys: a JSON merge patch with null values deletes them (RFC 7396); NULL object stays NULL.',
  },
  { snowflake: 'PARSE_JSON', macro: 'sf_parse_json', overloads: ['(s) AS CAST(s AS JSON)'], why: 'Text -> VARIANT.' },
  { snowflake: 'TO_VARCHAR', macro: 'sf_to_varchar', overloads: ['(x) AS CAST(x AS VARCHAR)'], why: 'Text form (timestamps print in DuckDB format, not Snowflake\'s).' },
  {
    snowflake: 'DATEADD',
    macro: 'sf_dateadd',
    overloads: ["(unit, n, ts) AS ts + CAST(CAST(n AS VARCHAR) || ' ' || unit AS INTERVAL)"],
    why: "DATEADD('day', -14, ts); unit as a quoted word (day, hour, minute).",
  },
  {
    snowflake: 'LEAST',
    macro: 'sf_least',
    overloads: ['(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE least(a, b) END'],
    why: 'Snowflake returns NULL when any argument is NULL; DuckDB least() skips NULLs.',
  },
  {
    snowflake: 'GREATEST',
    macro: 'sf_greatest',
    overloads: ['(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END'],
    why: 'As LEAST.',
  },
  {
    snowflake: 'REGEXP_SUBSTR',
    macro: 'sf_regexp_substr',
    overloads: [
      "(s, p) AS nullif(regexp_extract(s, p), '')",
      "(s, p, pos, occ, params, grp) AS CASE WHEN pos = 1 AND occ = 1 AND params LIKE '%e%' THEN nullif(regexp_extract(s, p, grp), '') ELSE error('sf_regexp_substr: only position 1, occurrence 1, ''e'' is emulated') END",
    ],
    why: 'First match (or capture group with the e parameter); NULL when nothing matches.',
  },
];

/** CREATE OR REPLACE MACRO statements for the emulated database. */
export function functionMacros(database: string): string[] {
  return SF_FUNCTIONS.map((fn) => `CREATE OR REPLACE MACRO ${database}.main.${fn.macro}${fn.overloads.join(', ')}`);
}
