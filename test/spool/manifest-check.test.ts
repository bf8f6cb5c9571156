// Which pack manifests the drain may act on: only those this agent would have written.
import { describe, expect, it } from 'vitest';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { untrustedManifestReason } from '../../agent/spool/manifest-check.ts';
import type { PackManifest } from '../../agent/spool/pack-journal.ts';
import { identifyPack } from '../../agent/spool/pack.ts';
import { keysUnder } from '../../agent/sinks/s3/object-key.ts';

const bodies = [0, 1, 2].map((n) => Buffer.from(`{"record_id":"r${n}"}\n`));
const sources = bodies.map((body, n) => cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 10, n)), body));
const ndjson = Buffer.concat(bodies);
const identity = identifyPack(keysUnder('raw/'), { customerId: 'acme', date: '2026-11-21', createdAt: new Date(Date.UTC(2026, 10, 21, 10, 0)) }, ndjson, false);
const good: PackManifest = { version: 1, ...identity, records: 3, bytes: ndjson.length, gzip: false, sources };
const site = { keyOf: keysUnder('raw/'), customerId: 'acme' };

describe('untrustedManifestReason', () => {
  it('trusts a manifest the agent made', () => {
    expect(untrustedManifestReason(good, site)).toBeUndefined();
  });

  it.each([
    { what: 'no sources', change: { sources: [] }, reason: /lists no files/ },
    { what: 'a source twice', change: { sources: [sources[0]!, sources[0]!] }, reason: /twice/ },
    { what: 'a path as a source', change: { sources: [...sources, '../../etc/passwd'] }, reason: /not a cycle file name/ },
    { what: 'another customer', change: { sources: sources.map((s) => s.replace(/^acme/, 'other')) }, reason: /customer "other"/ },
    { what: 'two date partitions', change: { sources: [...sources, cycleFileName('acme', new Date(Date.UTC(2026, 10, 22)), Buffer.from('x'))] }, reason: /more than one/ },
    { what: 'a hash that is not a sha256', change: { sha256: 'abc' }, reason: /not a sha256/ },
    { what: 'a zero record count', change: { records: 0 }, reason: /positive whole number/ },
    { what: 'a name its hash does not give', change: { name: good.name.replace(/pack-[0-9a-f]{4}/, 'pack-ffff') }, reason: /its name is not/ },
    { what: 'the gzip flag flipped', change: { gzip: true }, reason: /its name is not/ },
    { what: 'a key under another prefix', change: { key: `other/${good.key}` }, reason: /S3 key is not/ },
  ])('refuses $what', ({ change, reason }) => {
    expect(untrustedManifestReason({ ...good, ...change } as PackManifest, site)).toMatch(reason);
  });

  it('refuses a manifest written under another s3.prefix', () => {
    expect(untrustedManifestReason(good, { keyOf: keysUnder('new/'), customerId: 'acme' })).toMatch(/s3\.prefix may have changed/);
  });
});
