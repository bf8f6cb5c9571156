import { describe, expect, it } from 'vitest';
import { cycleFileName, parseSpoolFileName } from '../../agent/spool/file-names.ts';

describe('cycle file names', () => {
  const started = new Date('2026-11-21T23:59:03.123Z');

  it('names a file by customer, cycle start and content, with no colon', () => {
    const name = cycleFileName('acme-001', started, Buffer.from('{"a":1}\n'));
    expect(name).toMatch(/^acme-001_20261121T235903123Z_[0-9a-f]{16}\.ndjson$/);
    expect(name).not.toContain(':');
  });

  it('gives the same name to the same content and a different one to different content', () => {
    const a = cycleFileName('acme', started, Buffer.from('x'));
    expect(cycleFileName('acme', started, Buffer.from('x'))).toBe(a);
    expect(cycleFileName('acme', started, Buffer.from('y'))).not.toBe(a);
  });

  it('parses its own names back, customer ids with underscores included', () => {
    const name = cycleFileName('site_7-b', started, Buffer.from('x'));
    const parsed = parseSpoolFileName(name);
    expect(parsed).toMatchObject({ name, customerId: 'site_7-b', date: '2026-11-21' });
    expect(parsed?.createdAt.toISOString()).toBe('2026-11-21T23:59:03.123Z');
  });

  it.each(['notes.txt', '.acme_20261121T235903123Z_0123456789abcdef.ndjson.partial', 'acme_20261121T235903Z_0123456789abcdef.ndjson', 'acme_20261399T235903123Z_0123456789abcdef.ndjson'])(
    'does not recognise %s',
    (name) => expect(parseSpoolFileName(name)).toBeUndefined(),
  );
});
