import { spawn } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockError } from '../../agent/errors.ts';
import { acquireInstanceLock, findLockOwner } from '../../agent/state/instance-lock.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('instance lock', () => {
  const tempDir = useTempDirs();

  it('refuses a second holder and names the process that holds it', async () => {
    const dir = await tempDir();
    const first = await acquireInstanceLock(dir, 'run');
    await expect(acquireInstanceLock(dir, 'once')).rejects.toThrow(new RegExp(`pid ${process.pid} on .*command 'run'`));
    await expect(acquireInstanceLock(dir, 'once')).rejects.toBeInstanceOf(LockError);
    expect((await findLockOwner(dir))?.pid).toBe(process.pid);
    await first.release();
    const second = await acquireInstanceLock(dir, 'once');
    await second.release();
    expect(await findLockOwner(dir)).toBeUndefined();
  });

  it('takes over a lock whose process has died', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await mkdir(join(dir, 'state'), { recursive: true });
    const bootTime = new Date(Date.now() - (await import('node:os')).uptime() * 1000).toISOString();
    await writeFile(join(dir, 'state', 'agent.lock'), JSON.stringify({ pid: deadPid, host: hostname(), command: 'run', startedAt: '2026-01-01T00:00:00.000Z', bootTime }));
    const lock = await acquireInstanceLock(dir, 'run');
    expect(JSON.parse(await readFile(join(dir, 'state', 'agent.lock'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock written before the machine last booted, even if the pid is in use now', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'state'), { recursive: true });
    // Our own pid is certainly alive; only the boot time says the lock is from an earlier boot.
    await writeFile(join(dir, 'state', 'agent.lock'), JSON.stringify({ pid: process.pid, host: hostname(), command: 'run', startedAt: '2020-01-01T00:00:00.000Z', bootTime: '2020-01-01T00:00:00.000Z' }));
    const lock = await acquireInstanceLock(dir, 'run');
    await lock.release();
  });
});
