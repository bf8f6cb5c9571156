// Every statement in sql/ must parse with `sqlfluff parse --dialect snowflake` (Debian 12's
// sqlfluff 1.4.5, installed by .ci/debian-packages.sh), except those listed with a reason in
// sql/sqlfluff-allowlist.txt. Statements are rendered with sample variables first, as a deploy
// with `snow sql -D` would render them. Verdicts are cached per exact statement text and sqlfluff
// version (sqlfluff-cache.ts); the known-bad probe below always runs sqlfluff.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeStatement, loadScripts, renderedStatements, type SqlStatement } from './sql-scripts.ts';
import { fileCache } from './sqlfluff-cache.ts';
import { findUnparsable, loadAllowlist, matchesAllowlist, PARSE_ARGS, sqlfluffVersion, type ParseFailure } from './sqlfluff.ts';

describe('sqlfluff parse --dialect snowflake over sql/', () => {
  let statements: SqlStatement[];
  let failures: ParseFailure[];
  const allowlist = loadAllowlist();

  beforeAll(async () => {
    const version = sqlfluffVersion();
    statements = renderedStatements(loadScripts());
    failures = await findUnparsable(statements, { cache: fileCache(version, PARSE_ARGS) });
  }, 300_000);

  it('reports unparsable statements at all (a known-bad statement fails)', async () => {
    const bad = await findUnparsable([{ file: 'probe.sql', line: 3, text: 'CREATE TABBLE x (a INT)', code: 'CREATE TABBLE x (a INT)' }]);
    expect(bad).toHaveLength(1);
    expect(bad[0]?.statement.line).toBe(3);
  });

  it('parses every statement that is not allowlisted', () => {
    const unexpected = failures
      .filter((f) => !allowlist.some((entry) => matchesAllowlist(entry, f.statement)))
      .map((f) => `${describeStatement(f.statement)}\n    sqlfluff cannot parse: ${f.unparsable}`);
    expect(unexpected, `unparsable statements (fix them, or allowlist with a reason in sql/sqlfluff-allowlist.txt):\n${unexpected.join('\n')}`).toEqual([]);
    expect(statements.length).toBeGreaterThan(50);
  });

  it('has no stale allowlist entries', () => {
    const stale = allowlist.flatMap((entry) => {
      const matched = statements.filter((s) => matchesAllowlist(entry, s));
      if (matched.length === 0) return [`line ${entry.line}: '${entry.prefix}' matches no statement in ${entry.file}`];
      const parsing = matched.filter((s) => !failures.some((f) => f.statement === s));
      return parsing.map((s) => `line ${entry.line}: ${describeStatement(s)} parses now; remove the entry`);
    });
    expect(stale, stale.join('\n')).toEqual([]);
  });

  it('gives every allowlist entry a reason', () => {
    expect(allowlist.length).toBeGreaterThan(0);
    for (const entry of allowlist) expect(entry.reason.length, `allowlist line ${entry.line}`).toBeGreaterThan(20);
  });
});
