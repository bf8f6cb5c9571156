// The log files a support bundle carries: every *.log file in the log folder changed within the
// last `days` days (the agent's daily files, and any service-wrapper output kept beside them),
// each cut to its newest MAX_LOG_BYTES so a debug-level log cannot make the zip unmailable.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const MAX_LOG_BYTES = 20 * 1024 * 1024;

export interface LogFile {
  name: string;
  text: string;
  /** Bytes left out at the start of the file. */
  truncatedBytes: number;
}

export async function readRecentLogs(dir: string, days: number, now: Date): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const since = now.getTime() - days * 86_400_000;
  const files: LogFile[] = [];
  for (const name of names.filter((n) => /\.log(\.\d+)?$/i.test(n)).sort()) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.mtime.getTime() < since) continue;
    files.push(await readTail(path, name, info.size));
  }
  return files;
}

async function readTail(path: string, name: string, size: number): Promise<LogFile> {
  const start = Math.max(0, size - MAX_LOG_BYTES);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    // Start at a line boundary when cut, so no half line (or half secret) is left at the top.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { name, text, truncatedBytes: start };
  } finally {
    await handle.close();
  }
}
