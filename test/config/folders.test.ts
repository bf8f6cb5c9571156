import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFolderWritable } from '../../agent/config/folders.ts';
import { useTempDirs } from '../fixtures/config/temp-config.ts';

const makeDir = useTempDirs();
const isRoot = process.getuid?.() === 0;

describe('checkFolderWritable', () => {
  it('accepts an existing writable folder and leaves no probe file behind', async () => {
    const dir = await makeDir();
    expect(await checkFolderWritable(dir)).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts a folder that does not exist yet under a writable ancestor, without creating it', async () => {
    const dir = await makeDir();
    expect(await checkFolderWritable(join(dir, 'a', 'b', 'c'))).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a path that is a file', async () => {
    const dir = await makeDir({ 'file.txt': 'x' });
    expect(await checkFolderWritable(join(dir, 'file.txt'))).toBe(`${join(dir, 'file.txt')} is a file, not a folder; choose another path or remove the file`);
  });

  it('rejects a folder that would have to be created under a file', async () => {
    const dir = await makeDir({ 'file.txt': 'x' });
    expect(await checkFolderWritable(join(dir, 'file.txt', 'logs'))).toContain(`because ${join(dir, 'file.txt')} is a file, not a folder`);
  });

  // root can write anywhere, so permission bits cannot make a folder unwritable for it.
  it.skipIf(isRoot || process.platform === 'win32')('rejects a read-only folder and its would-be children, saying what to do', async () => {
    const dir = await makeDir();
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await writeFile(join(locked, 'keep'), '');
    await chmod(locked, 0o555);
    try {
      expect(await checkFolderWritable(locked)).toMatch(/is not writable by this account \(EACCES\); grant the account the agent runs as write access/);
      expect(await checkFolderWritable(join(locked, 'child'))).toContain('does not exist yet and its parent');
      expect((await stat(locked)).mode & 0o777).toBe(0o555);
    } finally {
      await chmod(locked, 0o755);
    }
  });
});
