// The pipe's PATTERN (sql/02_ingest.sql) decides which S3 objects become records. It must take
// every data file the agent writes (.ndjson now, .ndjson.gz from backlog packing later) and
// nothing else under the prefix, in particular the doctor's canary objects.
//
// The string is tested with a JS RegExp. Snowflake evaluates it as a POSIX extended regex against
// the path relative to the stage (Snowpipe) or the full location (COPY). The pattern therefore
// sticks to the subset both agree on (no \d, \w, lookarounds, lazy or possessive quantifiers),
// anchors both ends, and allows any leading folders with ^(.*/)?.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentObjectKey } from './fixtures.ts';
import { SQL_DIR } from './sql-scripts.ts';

function pipePattern(): string {
  const sql = readFileSync(join(SQL_DIR, '02_ingest.sql'), 'utf8');
  const match = /^PATTERN = '((?:[^']|'')*)'/m.exec(sql);
  if (!match) throw new Error("02_ingest.sql: no PATTERN = '...' line found in the pipe's COPY");
  return (match[1] as string).replace(/''/g, "'");
}

const pattern = pipePattern();
const regex = new RegExp(pattern);
const at = new Date('2026-11-21T10:15:03.123Z');

describe('the pipe PATTERN', () => {
  it('uses only regex syntax that POSIX ERE and JavaScript read the same way', () => {
    expect(pattern).not.toMatch(/\\[dDwWsSbB]|\(\?|[*+?}]\?|[*+}]\+/);
    expect(pattern.startsWith('^')).toBe(true);
    expect(pattern.endsWith('$')).toBe(true);
  });

  it.each([
    ['an agent file relative to the stage', agentObjectKey('', 'acme', at, '0123456789abcdef')],
    ['a packed gzip file', agentObjectKey('', 'acme', at, 'fedcba9876543210', true)],
    ['a file under the stage prefix (COPY sees full paths)', agentObjectKey('agents/', 'acme', at, '0123456789abcdef')],
    ['a full S3 location', `s3://example-datapipe-bucket/${agentObjectKey('agents/', 'site_2-b', at, '0123456789abcdef')}`],
  ])('accepts %s', (_name, key) => {
    expect(regex.test(key), key).toBe(true);
  });

  it.each([
    ['the doctor canary', 'customer=acme/canary/doctor-20261121T101503123Z.json'],
    ['a canary named like data', 'customer=acme/canary/acme_20261121T101503123Z_0123456789abcdef.ndjson'],
    ['a file outside any date folder', 'customer=acme/acme_20261121T101503123Z_0123456789abcdef.ndjson'],
    ['a malformed date folder', 'customer=acme/date=2026-1-21/acme_20261121T101503123Z_0123456789abcdef.ndjson'],
    ['a nested folder', 'customer=acme/date=2026-11-21/tmp/acme_20261121T101503123Z_0123456789abcdef.ndjson'],
    ['another extension', 'customer=acme/date=2026-11-21/acme_20261121T101503123Z_0123456789abcdef.json'],
    ['a partial upload name', 'customer=acme/date=2026-11-21/acme_20261121T101503123Z_0123456789abcdef.ndjson.tmp'],
    ['a bad customer id', 'customer=ac me/date=2026-11-21/x.ndjson'],
  ])('rejects %s', (_name, key) => {
    expect(regex.test(key), key).toBe(false);
  });
});
