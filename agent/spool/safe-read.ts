// Reading a spool file without trusting what lies in the folder. Anyone with write access to the
// storage folder (a person, antivirus, a restore tool) can leave a symlink to /etc/shadow, a
// symlink to /dev/zero (an endless read: a drain grew to 24 GB), a FIFO (a read that never
// returns, and then a stop signal waits for it forever) or a truncated file there. So:
//   - open with O_NOFOLLOW (a symlink fails with ELOOP instead of being followed) and O_NONBLOCK
//     (opening a FIFO returns at once instead of waiting for a writer); neither exists on
//     Windows, where the lstat-based listing already keeps links out and there are no FIFOs;
//   - fstat the open handle and refuse anything but a regular file;
//   - read exactly the size fstat reported, never more, and nothing larger than MAX_SPOOL_FILE_BYTES
//     (a cycle of 1,000 locations is about 1 MB; a pack manifest a few hundred KB);
//   - a cycle file's bytes must hash to the hash in its name.
// The callback API is used for speed: reading 10,000 small files is the drain's bottleneck.
import { close, constants, fstat, open, read } from 'node:fs';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { SpoolFileRejected } from '../errors.ts';
import { contentHashMatches, parseSpoolFileName } from './file-names.ts';

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);
const readAsync = promisify(read);

// Undefined on Windows (Node documents the flags as platform-specific).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Larger than anything the agent writes into the spool, by far; and far below the pack limit's
 *  memory budget being blown by one file. */
export const MAX_SPOOL_FILE_BYTES = 64 * 1024 * 1024;

/** The file's bytes; throws SpoolFileRejected for anything the agent must not send. */
export async function readSpoolFile(path: string): Promise<Buffer> {
  let fd: number;
  try {
    fd = await openAsync(path, OPEN_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw notRegular(path, 'a symbolic link');
    throw error;
  }
  try {
    const info = await fstatAsync(fd);
    if (!info.isFile()) throw notRegular(path, info.isFIFO() ? 'a named pipe (FIFO)' : info.isDirectory() ? 'a folder' : 'a device or socket');
    if (info.size > MAX_SPOOL_FILE_BYTES) {
      throw new SpoolFileRejected('TooLarge', `${basename(path)} holds ${info.size} bytes, far more than the agent ever writes into one spool file (at most ${MAX_SPOOL_FILE_BYTES}); it was not written by the agent.`);
    }
    const body = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < body.length) {
      const { bytesRead } = await readAsync(fd, body, filled, body.length - filled, filled);
      if (bytesRead === 0) break; // shrank while being read: the hash check below catches it
      filled += bytesRead;
    }
    const content = filled === body.length ? body : body.subarray(0, filled);
    const name = basename(path);
    if (parseSpoolFileName(name) && !contentHashMatches(name, content)) {
      throw new SpoolFileRejected('ContentHashMismatch', `${name} holds ${content.length} bytes that do not hash to the hash in its name (truncated, emptied or changed after it was written).`);
    }
    return content;
  } finally {
    await closeAsync(fd);
  }
}

function notRegular(path: string, what: string): SpoolFileRejected {
  return new SpoolFileRejected('NotARegularFile', `${basename(path)} is ${what}, not a regular file; the agent never follows or reads such entries.`);
}
