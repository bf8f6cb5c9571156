// The S3 key layout (agent/sinks/s3/object-key.ts), from the names the spool gives its files.
import { describe, expect, it } from 'vitest';
import { objectKeyFor } from '../../../agent/sinks/s3/object-key.ts';
import { cycleFileName, parseSpoolFileName } from '../../../agent/spool/file-names.ts';

describe('S3 object keys', () => {
  const started = new Date('2026-11-21T23:59:03.123Z');

  it('derives the key <prefix>customer=<id>/date=<UTC date>/<name>', () => {
    const parsed = parseSpoolFileName(cycleFileName('acme', started, Buffer.from('x')))!;
    expect(objectKeyFor('raw/', parsed)).toBe(`raw/customer=acme/date=2026-11-21/${parsed.name}`);
    expect(objectKeyFor('', parsed)).toBe(`customer=acme/date=2026-11-21/${parsed.name}`);
  });
});
