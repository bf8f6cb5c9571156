// One agent process per storage folder: state/agent.lock, created exclusively ('wx'), holding the
// owner's pid, host, command, start time and the machine's boot time.
//
// A lock left by a process that died (kill -9, power loss) must not keep the service from
// starting, or the service manager would restart it into the same refusal forever. It is stale
// when its process is gone, or when the machine has rebooted since it was written (after a
// reboot the old pid may belong to an unrelated process). A lock from another host (a storage
// folder on a network share) is never taken over automatically.
import { constants } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { LockError } from '../errors.ts';

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  bootTime: string;
}

export interface InstanceLock {
  release(): Promise<void>;
}

const BOOT_TIME_TOLERANCE_MS = 120_000;

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

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  const rebooted = Math.abs(new Date(owner.bootTime).getTime() - currentBootTime().getTime()) > BOOT_TIME_TOLERANCE_MS;
  return rebooted || !isProcessAlive(owner.pid);
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
  const path = join(dir, 'agent.lock');
  await mkdir(dir, { recursive: true });
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    bootTime: currentBootTime().toISOString(),
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
        return { release: () => releaseLock(path) };
      } catch (error) {
        // A full disk: an empty lock would look like garbage to the next process. Leave none.
        await handle.close().catch(() => undefined);
        await unlink(path).catch(() => undefined);
        throw error;
      }
    }
    const owner = await readOwner(path);
    if (owner && !isStale(owner)) {
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
  const owner = await readOwner(join(storageDir, 'state', 'agent.lock'));
  return owner && !isStale(owner) ? owner : undefined;
}

async function releaseLock(path: string): Promise<void> {
  const owner = await readOwner(path);
  if (owner?.pid === process.pid && owner.host === hostname()) await unlink(path).catch(() => undefined);
}
