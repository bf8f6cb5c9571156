// One agent process per storage folder: state/agent.lock, created exclusively ('wx'), holding the
// owner's pid, host, command, start time and the machine's boot time.
//
// A lock left by a process that died (kill -9, power loss) must not keep the service from
// starting, or the service manager would restart it into the same refusal forever. It is stale
// when its process is gone, or when the machine has rebooted since it was written (after a
// reboot the old pid may belong to an unrelated process), or when its pid now belongs to another
// process: one that started after the lock was written, or runs another executable (pid reuse;
// pid 1 in a fresh container after a kill), or this very process (a pid can only be ours if the
// lock outlived an earlier holder; this process knows which locks it holds). A lock from another
// host (a storage folder on a network share) is never taken over automatically.
import { constants } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { LockError } from '../errors.ts';
import { currentBootId, identifyProcess } from './process-identity.ts';

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  bootTime: string;
  /** Linux: this boot's id, and the holder's start ticks and executable, to tell the holder from
   *  an unrelated process that has the same pid now (process-identity.ts). */
  bootId?: string;
  startTicks?: number;
  executable?: string;
}

export interface InstanceLock {
  release(): Promise<void>;
}

const BOOT_TIME_TOLERANCE_MS = 120_000;
/** Lock files this process holds right now: its own pid in any other lock is a leftover. */
const heldPaths = new Set<string>();

function currentBootTime(): Date {
  return new Date(Date.now() - uptime() * 1000);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function hasRebooted(owner: LockOwner): Promise<boolean> {
  const bootId = await currentBootId();
  if (owner.bootId && bootId) return owner.bootId !== bootId;
  return Math.abs(new Date(owner.bootTime).getTime() - currentBootTime().getTime()) > BOOT_TIME_TOLERANCE_MS;
}

async function isStale(owner: LockOwner, path: string): Promise<boolean> {
  if (owner.host !== hostname()) return false;
  if ((await hasRebooted(owner)) || !isProcessAlive(owner.pid)) return true;
  if (owner.pid === process.pid) return !heldPaths.has(path);
  const live = await identifyProcess(owner.pid);
  if (owner.startTicks !== undefined && live.startTicks !== undefined) return owner.startTicks !== live.startTicks;
  return Boolean(live.executable && owner.executable && live.executable !== owner.executable);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // Being written right now, or garbage: treated below.
  }
}

/** Takes the storage folder's lock or throws LockError naming the process that holds it. */
export async function acquireInstanceLock(storageDir: string, command: string): Promise<InstanceLock> {
  const dir = join(storageDir, 'state');
  const path = resolve(dir, 'agent.lock');
  await mkdir(dir, { recursive: true });
  const [self, bootId] = await Promise.all([identifyProcess(process.pid), currentBootId()]);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    bootTime: currentBootTime().toISOString(),
    ...(bootId ? { bootId } : {}),
    ...self,
  };

  for (let attempt = 0; attempt < 2; attempt += 1) {
    let handle;
    try {
      handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (handle) {
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.close();
        heldPaths.add(path);
        return { release: () => releaseLock(path) };
      } catch (error) {
        // A full disk: an empty lock would look like garbage to the next process. Leave none.
        await handle.close().catch(() => undefined);
        await unlink(path).catch(() => undefined);
        throw error;
      }
    }
    const owner = await readOwner(path);
    if (owner && !(await isStale(owner, path))) {
      throw new LockError(
        `Another datapipe-agent is already using ${storageDir}: pid ${owner.pid} on ${owner.host}, ` +
          `command '${owner.command}', started ${owner.startedAt}. Stop it first (for the service: ` +
          `'datapipe-agent service stop'), or give this run another [storage] dir.`,
      );
    }
    if (!owner && attempt === 0) {
      // Unreadable: maybe being written this instant. Look once more before calling it garbage.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (await readOwner(path)) continue;
    }
    await unlink(path).catch(() => undefined);
  }
  throw new LockError(`Could not take the lock ${path}; another process keeps re-creating it.`);
}

/** The live process holding the storage folder, if any (for `status`). */
export async function findLockOwner(storageDir: string): Promise<LockOwner | undefined> {
  const path = resolve(storageDir, 'state', 'agent.lock');
  const owner = await readOwner(path);
  return owner && !(await isStale(owner, path)) ? owner : undefined;
}

async function releaseLock(path: string): Promise<void> {
  heldPaths.delete(path);
  const owner = await readOwner(path);
  if (owner?.pid === process.pid && owner.host === hostname()) await unlink(path).catch(() => undefined);
}
