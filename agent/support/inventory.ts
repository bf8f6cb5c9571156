// What lies in temp/, dump/ and quarantine/ right now: every entry with its size and age, plus, for dump files,
// the failure count and last error state/status.json keeps (dumpFailures). Names only, never
// contents: the files hold customer data.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DumpFileFailures } from '../state/status-store.ts';

export interface InventoryEntry {
  name: string;
  bytes: number;
  modifiedAt: string;
  ageMinutes: number;
  failures?: DumpFileFailures;
  /** Set for anything but a regular file: 'symlink', 'fifo', 'directory', 'other'. */
  type?: string;
}

export interface FolderInventory {
  path: string;
  exists: boolean;
  files: number;
  bytes: number;
  entries: InventoryEntry[];
  /** Set when more entries exist than are listed. */
  truncated?: number;
}

/** At most this many entries per folder are listed (oldest first); the totals count all. */
export const MAX_LISTED = 5_000;

export async function inventoryFolder(path: string, failures: Record<string, DumpFileFailures>, now: Date): Promise<FolderInventory> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, files: 0, bytes: 0, entries: [] };
    throw error;
  }
  const entries: InventoryEntry[] = [];
  for (const name of names) {
    // lstat: a link is listed as the link it is, never followed (a link to a device or a pipe in
    // the dump is exactly what support staff need to see, and must not hang the bundle).
    const info = await lstat(join(path, name)).catch(() => undefined);
    if (!info) continue; // removed by a running agent meanwhile
    const entry: InventoryEntry = {
      name,
      bytes: info.size,
      modifiedAt: info.mtime.toISOString(),
      ageMinutes: Math.round((now.getTime() - info.mtime.getTime()) / 60_000),
    };
    if (!info.isFile()) entry.type = info.isSymbolicLink() ? 'symlink' : info.isFIFO() ? 'fifo' : info.isDirectory() ? 'directory' : 'other';
    const failure = failures[name];
    if (failure) entry.failures = failure;
    entries.push(entry);
  }
  entries.sort((a, b) => a.modifiedAt.localeCompare(b.modifiedAt) || a.name.localeCompare(b.name));
  const result: FolderInventory = { path, exists: true, files: entries.length, bytes: entries.reduce((sum, e) => sum + e.bytes, 0), entries: entries.slice(0, MAX_LISTED) };
  if (entries.length > MAX_LISTED) result.truncated = entries.length - MAX_LISTED;
  return result;
}
