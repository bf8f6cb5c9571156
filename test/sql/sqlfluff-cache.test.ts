// The sqlfluff verdict cache: reused only for the same sqlfluff version, arguments and text.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileCache } from './sqlfluff-cache.ts';
import { findUnparsable } from './sqlfluff.ts';

describe('sqlfluff verdict cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'datapipe-sqlfluff-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keys verdicts by sqlfluff version, arguments and exact text', () => {
    const cache = fileCache('sqlfluff, version 1.4.5', ['parse'], dir);
    cache.set('SELECT 1;\n', { unparsable: null });
    cache.set('SELEC 1;\n', { unparsable: 'SELEC 1' });
    expect(cache.get('SELECT 1;\n')).toEqual({ unparsable: null });
    expect(cache.get('SELEC 1;\n')).toEqual({ unparsable: 'SELEC 1' });
    expect(cache.get('SELECT 2;\n')).toBeUndefined();
    expect(fileCache('sqlfluff, version 3.0.0', ['parse'], dir).get('SELECT 1;\n')).toBeUndefined();
    expect(fileCache('sqlfluff, version 1.4.5', ['parse', '--dialect', 'ansi'], dir).get('SELECT 1;\n')).toBeUndefined();
  });

  it('answers from the cache without running sqlfluff, failures included', async () => {
    const statement = { file: 'probe.sql', line: 2, text: 'CREATE TABBLE x (a INT)', code: 'CREATE TABBLE x (a INT)' };
    const cache = fileCache('v', ['parse'], dir);
    cache.set('\nCREATE TABBLE x (a INT);\n', { unparsable: 'CREATE TABBLE x' });
    expect(await findUnparsable([statement], { cache })).toEqual([{ statement, unparsable: 'CREATE TABBLE x' }]);
  });
});
