// File-system helpers shared by the spool, the pack journal, the quarantine and the status file.
import { constants } from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

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

export interface DurableWriteOptions {
  /** The temporary name to write first (default `<path>.partial`); recovery code may look for it. */
  partialPath?: string;
  /** When set, a failure is rethrown by namePath(error, what, path), so its message names the file. */
  what?: string;
}

/**
 * Replaces `path` with `data` so that a reader or a crash sees either the old file or the whole new
 * one: write a temporary file beside it, fsync it, rename it over `path`, then fsync the folder
 * (without that, a power cut can bring the old file back).
 */
export async function writeFileDurably(path: string, data: string | Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  const partialPath = options.partialPath ?? `${path}.partial`;
  try {
    const handle = await open(partialPath, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partialPath, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    throw options.what === undefined ? error : namePath(error, options.what, path);
  }
}
