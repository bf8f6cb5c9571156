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

/**
 * The same error with the path in its message. Node names no path in a failed write or fsync
 * ("ENOSPC: no space left on device, write"), and support staff need to know which disk is full.
 * The errno `code` is kept, so callers can still tell a full disk from other failures.
 */
export function namePath(error: unknown, what: string, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : error instanceof Error ? error.message : String(error);
  const named = new Error(`Could not write ${what} ${path}: ${reason}${code ? ` (${code})` : ''}.`, { cause: error });
  if (code) Object.assign(named, { code });
  return named;
}
