import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LockError } from '../../agent/errors.ts';
import { acquireInstanceLock, findLockOwner } from '../../agent/state/instance-lock.ts';
import { currentBootId, identifyProcess } from '../../agent/state/process-identity.ts';
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
    // The pid is the same either way: only a rewritten lock (this boot, this start) proves the takeover.
    const owner = await findLockOwner(dir);
    expect(owner?.command).toBe('run');
    expect(owner?.startedAt).not.toBe('2020-01-01T00:00:00.000Z');
    expect(new Date(owner?.bootTime ?? 0).getTime()).toBeGreaterThan(new Date('2020-01-01T00:00:00.000Z').getTime());
    await lock.release();
  });

  describe('a pid that is alive but not the holder', () => {
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
    });

    async function writeLock(dir: string, owner: Record<string, unknown>): Promise<void> {
      await mkdir(join(dir, 'state'), { recursive: true });
      const bootTime = new Date(Date.now() - uptime() * 1000).toISOString();
      const bootId = await currentBootId();
      await writeFile(join(dir, 'state', 'agent.lock'), JSON.stringify({ host: hostname(), command: 'run', startedAt: new Date().toISOString(), bootTime, ...(bootId ? { bootId } : {}), ...owner }));
    }

    async function liveUnrelatedProcess(): Promise<number> {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(child);
      await once(child.stdout!, 'data');
      return child.pid!;
    }

    it.runIf(process.platform === 'linux')('takes over a lock whose pid now belongs to a process that started later (pid reuse)', async () => {
      const dir = await tempDir();
      const pid = await liveUnrelatedProcess();
      const live = await identifyProcess(pid);
      expect(live.startTicks).toBeGreaterThan(0);
      await writeLock(dir, { pid, startTicks: live.startTicks! - 1, executable: live.executable });
      const lock = await acquireInstanceLock(dir, 'run');
      expect(JSON.parse(await readFile(join(dir, 'state', 'agent.lock'), 'utf8')).pid).toBe(process.pid);
      await lock.release();
    });

    it.runIf(process.platform === 'linux')('takes over a lock naming pid 1 (a fresh container after a kill)', async () => {
      const dir = await tempDir();
      const pid1 = await identifyProcess(1);
      await writeLock(dir, { pid: 1, startTicks: (pid1.startTicks ?? 0) + 12_345 });
      const lock = await acquireInstanceLock(dir, 'run');
      await lock.release();
    });

    it.runIf(process.platform === 'linux')('takes over a lock from an older version whose pid now runs another executable', async () => {
      const dir = await tempDir();
      await writeLock(dir, { pid: await liveUnrelatedProcess(), executable: '/opt/datapipe-agent/datapipe-agent' });
      const lock = await acquireInstanceLock(dir, 'run');
      await lock.release();
    });

    it('takes over a lock naming its own pid that it does not hold', async () => {
      const dir = await tempDir();
      await writeLock(dir, { pid: process.pid });
      const lock = await acquireInstanceLock(dir, 'once');
      expect(JSON.parse(await readFile(join(dir, 'state', 'agent.lock'), 'utf8')).command).toBe('once');
      await lock.release();
    });

    it('still refuses a lock held by another live agent process', async () => {
      const dir = await tempDir();
      const module = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'state', 'instance-lock.ts');
      const script = `import(${JSON.stringify(module)}).then((m) => m.acquireInstanceLock(${JSON.stringify(dir)}, 'run')).then(() => { console.log('held'); setInterval(() => {}, 1000); });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await once(child.stdout!, 'data');
      await expect(acquireInstanceLock(dir, 'once')).rejects.toThrow(new RegExp(`pid ${child.pid} on .*command 'run'`));
      expect((await findLockOwner(dir))?.pid).toBe(child.pid);
    });
  });
});
