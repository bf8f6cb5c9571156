import { describe, expect, it } from 'vitest';
import {
  listVariables,
  loadScripts,
  renderTemplate,
  SAMPLE_VARIABLES,
  splitStatements,
  stripComments,
} from './sql-scripts.ts';

describe('splitStatements', () => {
  it('splits on top-level semicolons only and reports each statement line', () => {
    const text = [
      '-- header; with a semicolon',
      'USE ROLE R;',
      '',
      "SELECT 'a;b', \"x;y\" FROM t; /* c; */ SELECT 2",
      ';',
      'CREATE PROCEDURE p() RETURNS INT LANGUAGE SQL AS $$ BEGIN RETURN 1; END; $$;',
      "SELECT 'it''s; fine';",
    ].join('\n');
    const statements = splitStatements('x.sql', text);
    expect(statements.map((s) => [s.line, s.code])).toEqual([
      [2, 'USE ROLE R'],
      [4, "SELECT 'a;b', \"x;y\" FROM t"],
      [4, 'SELECT 2'],
      [6, 'CREATE PROCEDURE p() RETURNS INT LANGUAGE SQL AS $$ BEGIN RETURN 1; END; $$'],
      [7, "SELECT 'it''s; fine'"],
    ]);
  });

  it('drops statements that are only comments', () => {
    expect(splitStatements('x.sql', '-- nothing here;\n/* nor; here */\n')).toEqual([]);
  });

  it('strips comments but keeps strings that look like comments', () => {
    expect(stripComments("SELECT '--not a comment' -- real\n, 1 /* gone */")).toBe("SELECT '--not a comment' , 1");
  });
});

describe('renderTemplate', () => {
  it('replaces <% name %> like snow sql -D name=value', () => {
    expect(renderTemplate('USE DATABASE <% database %>;<%prefix%>', { database: 'D', prefix: 'p/' })).toBe('USE DATABASE D;p/');
  });

  it('names the file and the missing variable', () => {
    expect(() => renderTemplate('SELECT <% nope %>', {}, '02_ingest.sql')).toThrow(
      "02_ingest.sql: variable 'nope' has no value; pass -D nope=...",
    );
  });

  it('has a sample value for every variable the scripts use', () => {
    const scripts = loadScripts();
    expect(scripts.length).toBeGreaterThanOrEqual(10);
    const used = new Set(scripts.flatMap((s) => listVariables(s.text)));
    expect([...used].sort()).toEqual(Object.keys(SAMPLE_VARIABLES).sort());
  });
});
