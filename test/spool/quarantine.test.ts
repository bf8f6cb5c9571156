// The quarantine folder: entries are moved, never followed, never overwritten, and come back only
// as regular files that do not clobber a copy in the dump.
import { lstat, mkdir, readFile, readlink, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQuarantine } from '../../agent/spool/quarantine.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('the quarantine', () => {
  const tempDir = useTempDirs();

  async function setUp() {
    const storage = await tempDir();
    const dump = join(storage, 'dump');
    await mkdir(dump);
    return { storage, dump, quarantine: createQuarantine(storage) };
  }

  it('moves a link as the link it is, with its reason, and keeps same-named entries apart', async () => {
    const { storage, dump, quarantine } = await setUp();
    const target = join(storage, 'secret');
    await writeFile(target, 'secret');
    await symlink(target, join(dump, 'a.ndjson'));
    expect(await quarantine.put(join(dump, 'a.ndjson'), { code: 'NotARegularFile', message: 'a link', from: 'dump' })).toBe('a.ndjson');
    await writeFile(join(dump, 'a.ndjson'), 'later');
    expect(await quarantine.put(join(dump, 'a.ndjson'), { code: 'ContentHashMismatch', message: 'damaged', from: 'dump' })).toBe('a.ndjson.1');

    expect(await readlink(join(quarantine.dir, 'a.ndjson'))).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('secret');
    expect((await quarantine.list()).map((entry) => [entry.name, entry.reason?.code])).toEqual([['a.ndjson', 'NotARegularFile'], ['a.ndjson.1', 'ContentHashMismatch']]);
  });

  it('requeues a regular file into the dump, but never a link, never a manifest, never over a dump file', async () => {
    const { dump, quarantine } = await setUp();
    await writeFile(join(dump, 'good.ndjson'), 'x');
    await quarantine.put(join(dump, 'good.ndjson'), { code: 'RefusedByS3', message: 'too large', from: 'dump' });
    await symlink('/dev/zero', join(dump, 'link.ndjson'));
    await quarantine.put(join(dump, 'link.ndjson'), { code: 'NotARegularFile', message: 'a link', from: 'dump' });
    await writeFile(join(dump, 'm.json'), '{}');
    await quarantine.put(join(dump, 'm.json'), { code: 'UntrustedManifest', message: 'crafted', from: 'packs' });

    await expect(quarantine.requeue('link.ndjson', dump)).rejects.toThrow(/not a regular file/);
    await expect(quarantine.requeue('m.json', dump)).rejects.toThrow(/pack manifest/);
    await expect(quarantine.requeue('../dump/none', dump)).rejects.toThrow(/not in the quarantine folder/);
    await writeFile(join(dump, 'good.ndjson'), 'the good copy');
    await expect(quarantine.requeue('good.ndjson', dump)).rejects.toThrow(/already in the dump/);
    expect(await readFile(join(dump, 'good.ndjson'), 'utf8')).toBe('the good copy');

    await unlink(join(dump, 'good.ndjson'));
    await quarantine.requeue('good.ndjson', dump);
    expect((await lstat(join(dump, 'good.ndjson'))).isFile()).toBe(true);
    expect((await quarantine.list()).map((entry) => entry.name)).toEqual(['link.ndjson', 'm.json']);
  });
});
