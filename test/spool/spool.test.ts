import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { createSpool } from '../../agent/spool/spool.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('spool', () => {
  const tempDir = useTempDirs();

  async function preparedSpool() {
    const spool = createSpool(await tempDir());
    await spool.prepare();
    return spool;
  }

  function nameAt(iso: string, body: string): string {
    return cycleFileName('acme', new Date(iso), Buffer.from(body));
  }

  it('writes a temp file completely and leaves no partial file behind', async () => {
    const spool = await preparedSpool();
    const name = nameAt('2026-11-21T10:00:00.000Z', 'a');
    const path = await spool.writeTemp(name, Buffer.from('line\n'));
    expect(await readFile(path, 'utf8')).toBe('line\n');
    expect(await readdir(spool.tempDir)).toEqual([name]);
  });

  it('moves a failed upload to the dump and lists the dump oldest first', async () => {
    const spool = await preparedSpool();
    const newer = nameAt('2026-11-21T11:00:00.000Z', 'b');
    const older = nameAt('2026-11-20T09:00:00.000Z', 'a');
    await spool.moveToDump(await spool.writeTemp(newer, Buffer.from('bb')));
    await spool.moveToDump(await spool.writeTemp(older, Buffer.from('a')));
    expect((await spool.listDump()).map((f) => f.name)).toEqual([older, newer]);
    const usage = await spool.dumpUsage();
    expect(usage).toMatchObject({ files: 2, bytes: 3, unrecognised: [] });
    expect(usage.oldest?.toISOString()).toBe('2026-11-20T09:00:00.000Z');
    expect(await readdir(spool.tempDir)).toEqual([]);
  });

  it('recovers after a crash: complete temp files go to the dump, partial ones are removed', async () => {
    const spool = await preparedSpool();
    const complete = nameAt('2026-11-21T10:00:00.000Z', 'x');
    await writeFile(join(spool.tempDir, complete), 'complete\n');
    await writeFile(join(spool.tempDir, `.${nameAt('2026-11-21T10:15:00.000Z', 'y')}.partial`), 'half');
    const result = await spool.recoverTemp();
    expect(result.moved).toEqual([complete]);
    expect(result.removedPartials).toHaveLength(1);
    expect(await readdir(spool.tempDir)).toEqual([]);
    expect(await readFile(join(spool.dumpDir, complete), 'utf8')).toBe('complete\n');
  });

  it('reports files it did not write without touching them', async () => {
    const spool = await preparedSpool();
    await writeFile(join(spool.dumpDir, 'someone-elses.txt'), 'x');
    expect(await spool.listDump()).toEqual([]);
    expect((await spool.dumpUsage()).unrecognised).toEqual(['someone-elses.txt']);
    expect(await readdir(spool.dumpDir)).toEqual(['someone-elses.txt']);
  });

  it.skipIf(process.platform === 'win32')('names the cycle file when the disk is full, keeping the errno code', async () => {
    const spool = await preparedSpool();
    const name = nameAt('2026-11-21T10:00:00Z', 'x');
    await symlink('/dev/full', join(spool.tempDir, `.${name}.partial`)); // a real ENOSPC on write
    const write = spool.writeTemp(name, Buffer.from('x'));
    await expect(write).rejects.toThrow(`Could not write the cycle file ${join(spool.tempDir, name)}: the disk is full (ENOSPC).`);
    await expect(write).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('lists links, FIFOs and folders with cycle file names as special, never as dump files', async () => {
    const spool = await preparedSpool();
    const good = nameAt('2026-11-21T10:00:00Z', 'a');
    await writeFile(join(spool.dumpDir, good), 'a');
    const link = nameAt('2026-11-21T10:01:00Z', 'b');
    await symlink('/dev/zero', join(spool.dumpDir, link));
    expect((await spool.listDump()).map((file) => file.name)).toEqual([good]);
    expect(await spool.listDumpSpecial()).toEqual([join(spool.dumpDir, link)]);
    await expect(spool.read(join(spool.dumpDir, link))).rejects.toMatchObject({ name: 'SpoolFileRejected', code: 'NotARegularFile' });
  });
});
