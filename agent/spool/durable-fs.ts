// File-system helpers shared by the spool and the pack journal.
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';

/** A folder's entries; none when it does not exist yet (`status` on an agent that never ran). */
export async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * A rename, create or delete is durable only once the directory entry is on disk. Windows cannot
 * open a directory for fsync (EPERM/EISDIR); NTFS journals the change itself, so there it is
 * skipped.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
