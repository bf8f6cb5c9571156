// Pack naming, bytes and the pack journal on a real temp folder.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseSpoolFileName } from '../../agent/spool/file-names.ts';
import { createPackJournal, type PackManifest } from '../../agent/spool/pack-journal.ts';
import { keysUnder } from '../../agent/sinks/s3/object-key.ts';
import { countNdjsonRecords, encodePackBody, identifyPack, isPackName } from '../../agent/spool/pack.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const first = { customerId: 'acme-001', date: '2026-11-21', createdAt: new Date(Date.UTC(2026, 10, 21, 10, 15, 3, 123)) };
const ndjson = Buffer.from('{"record_id":"a"}\n{"record_id":"b"}\n');

describe('packs', () => {
  it('are named and keyed by their content, in the partition of their first file, recognisably', () => {
    const pack = identifyPack(keysUnder('raw/'), first, ndjson, false);
    expect(pack.name).toMatch(/^acme-001_20261121T101503123Z_pack-[0-9a-f]{16}\.ndjson$/);
    expect(pack.key).toBe(`raw/customer=acme-001/date=2026-11-21/${pack.name}`);
    expect(identifyPack(keysUnder('raw/'), first, Buffer.from(ndjson), false)).toEqual(pack);
    expect(identifyPack(keysUnder('raw/'), first, Buffer.from('{"record_id":"c"}\n'), false).name).not.toBe(pack.name);
    expect(identifyPack(keysUnder('raw/'), first, ndjson, true).name).toBe(`${pack.name}.gz`);
    expect(isPackName(pack.name)).toBe(true);
    expect(parseSpoolFileName(pack.name)).toBeUndefined(); // never mistaken for a cycle file
    expect(isPackName('acme-001_20261121T101503123Z_3f9a0c1d2e4b5a69.ndjson')).toBe(false);
  });

  it('matches the Snowpipe pattern of sql/02_ingest.sql', () => {
    const pattern = /^(.*\/)?customer=[A-Za-z0-9_-]{1,64}\/date=[0-9]{4}-[0-9]{2}-[0-9]{2}\/[^/]+[.]ndjson([.]gz)?$/;
    expect(identifyPack(keysUnder('raw/'), first, ndjson, false).key).toMatch(pattern);
    expect(identifyPack(keysUnder(''), first, ndjson, true).key).toMatch(pattern);
  });

  it('gzip the same NDJSON to the same bytes every time', () => {
    const once = encodePackBody(ndjson, true);
    expect(encodePackBody(Buffer.from(ndjson), true).equals(once)).toBe(true);
    expect(gunzipSync(once).equals(ndjson)).toBe(true);
    expect(encodePackBody(ndjson, false)).toBe(ndjson);
  });

  it.each([
    ['two records', '{"a":1}\n{"b":2}\n', 2],
    ['no final newline', '{"a":1}', undefined],
    ['a blank line', '{"a":1}\n\n{"b":2}\n', undefined],
    ['a torn line', '{"a":1}\n{"b":\n', undefined],
    ['a JSON array line', '[1]\n', undefined],
    ['nothing', '', undefined],
  ])('count records only in clean NDJSON: %s', (_, text, expected) => {
    expect(countNdjsonRecords(Buffer.from(text))).toBe(expected);
  });
});

describe('the pack journal', () => {
  const tempDir = useTempDirs();
  const manifest: PackManifest = { version: 1, name: 'acme_20261121T101503123Z_pack-0123456789abcdef.ndjson', key: 'raw/k', sha256: 'ab', records: 2, bytes: 36, gzip: false, sources: ['a.ndjson', 'b.ndjson'] };

  it('keeps manifests until removed, drops torn partial writes and reports unreadable ones by path', async () => {
    const journal = createPackJournal(await tempDir());
    expect(await journal.listManifests()).toEqual({ manifests: [], unreadable: [], confirmed: new Set() });
    await journal.writeManifest(manifest);
    await writeFile(join(journal.dir, 'other.json.partial'), '{"version":');
    await writeFile(join(journal.dir, 'broken.json'), '{"version":1}');
    expect(await journal.listManifests()).toEqual({ manifests: [manifest], unreadable: [join(journal.dir, 'broken.json')], confirmed: new Set() });
    expect((await readdir(journal.dir)).sort()).toEqual(['acme_20261121T101503123Z_pack-0123456789abcdef.ndjson.json', 'broken.json']);
    await journal.removeManifest(manifest.name);
    expect((await journal.listManifests()).manifests).toEqual([]);
  });

  it('remembers that S3 confirmed a pack until its manifest is removed, and never carries that over to a new manifest', async () => {
    const journal = createPackJournal(await tempDir());
    await journal.writeManifest(manifest);
    await journal.markConfirmed(manifest.name);
    expect((await journal.listManifests()).confirmed).toEqual(new Set([manifest.name]));
    await journal.writeManifest(manifest);
    expect((await journal.listManifests()).confirmed).toEqual(new Set());
    await journal.markConfirmed(manifest.name);
    await journal.removeManifest(manifest.name);
    expect(await readdir(journal.dir)).toEqual([]);
  });

  it('says whether a file had been sent alone before, and forgets it when cleared', async () => {
    const journal = createPackJournal(await tempDir());
    expect(await journal.markSentAlone('a.ndjson')).toBe(false);
    expect(await journal.markSentAlone('a.ndjson')).toBe(true);
    expect([...await journal.listSentAlone()]).toEqual(['a.ndjson']);
    await journal.clearSentAlone('a.ndjson');
    await journal.clearSentAlone('a.ndjson');
    expect((await journal.listSentAlone()).size).toBe(0);
  });
});
