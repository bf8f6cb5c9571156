// status.json is the observation dedup's home: its atomic rename is durable only once the state
// folder itself is fsynced. Checked on the real system calls (strace), where strace exists.
import { spawnSync } from 'node:child_process';
import { readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const STORE = resolve(import.meta.dirname, '../../agent/state/status-store.ts');
const hasStrace = process.platform === 'linux' && spawnSync('strace', ['-V']).status === 0;

describe('the status store', () => {
  const tempDir = useTempDirs();

  it.skipIf(!hasStrace)('fsyncs the state folder after renaming status.json into place', async () => {
    const dir = await tempDir();
    const script = join(dir, 'write-state.ts');
    await writeFile(script, `import { createStatusStore } from ${JSON.stringify(STORE)};\nawait createStatusStore(process.argv[2], 't').update((s) => { s.pid = 1; });\n`);
    const traced = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=fsync,rename,renameat,renameat2', process.execPath, script, join(dir, 'storage')], { encoding: 'utf8' });
    expect(traced.status, traced.stderr).toBe(0);
    const trace = traced.stderr;
    const stateDir = join(dir, 'storage', 'state');
    const lines = trace.split('\n');
    const renamed = lines.findIndex((line) => /rename/.test(line) && line.includes(`"${join(stateDir, 'status.json')}"`));
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(lines.slice(renamed + 1).some((line) => line.includes(`fsync(`) && line.includes(`<${stateDir}>`))).toBe(true);
  });

  it('keeps one copy per process: read once, written only by save() and only when changed', async () => {
    const dir = await tempDir();
    const store = createStatusStore(dir, 't');
    await store.update((state) => void (state.pid = 1));
    const file = join(dir, 'state', 'status.json');
    // The file is not read again: another writer's content is not seen by this process's copy.
    await writeFile(file, JSON.stringify({ stateVersion: 1, agentVersion: 'other', locations: {}, dumpFailures: {}, pid: 99 }));
    expect((await store.read()).pid).toBe(1);
    await store.change((state) => void (state.pid = 2));
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 99 });
    await store.save();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 2, agentVersion: 't' });
    // Nothing changed since: no write.
    await unlink(file);
    await store.save();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    // A fresh store (another process) reads what is on disk.
    await store.update((state) => void (state.pid = 3));
    expect((await createStatusStore(dir, 't').read()).pid).toBe(3);
  });

  it.skipIf(process.platform === 'win32')('keeps a change whose write failed and writes it with the next save', async () => {
    const dir = await tempDir();
    const store = createStatusStore(dir, 't');
    await store.update(() => undefined);
    const full = join(dir, 'state', `status.json.${process.pid}.tmp`);
    await symlink('/dev/full', full);
    await expect(store.update((state) => void (state.pid = 2))).rejects.toMatchObject({ code: 'ENOSPC' });
    await unlink(full);
    await store.save();
    expect((await createStatusStore(dir, 't').read()).pid).toBe(2);
  });

  it.skipIf(process.platform === 'win32')('names the file when a write fails, keeping the errno code', async () => {
    const dir = await tempDir();
    const store = createStatusStore(dir, 't');
    await store.update(() => undefined);
    await symlink('/dev/full', join(dir, 'state', `status.json.${process.pid}.tmp`));
    const failure = store.update((state) => void (state.pid = 2));
    await expect(failure).rejects.toThrow(`Could not write the status file ${join(dir, 'state', 'status.json')}: the disk is full (ENOSPC).`);
    await expect(failure).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});
