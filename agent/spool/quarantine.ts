// The quarantine, <storage.dir>/quarantine/: where the agent sets aside what it must not send and
// must not delete. One mechanism for every case:
//   - a dump entry that is not a regular file (symlink, FIFO, device, folder): never followed;
//   - a cycle file whose content no longer hashes to the hash in its name (truncated, emptied,
//     changed): sending it would put damaged bytes under a key that promises other bytes; or one
//     far larger than any cycle file (reading it would exhaust memory);
//   - a pack manifest the agent would not have written (crafted or corrupt);
//   - a poison file: S3 refused it several times for a reason of the file's own (too large, a
//     name S3 rejects), so every retry would fail the same way.
//
//   quarantine/<name>              the entry itself, moved (rename: a symlink stays a symlink)
//   quarantine/<name>.reason.json  why, when, from which folder, the failure count if any
//
// Nothing here is ever deleted by the agent; `requeue` moves a file back into dump/ for another
// try (after a person fixed the cause). The folder is created on first use.
import { lstat, mkdir, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readdirIfExists, syncDirectory, writeFileDurably } from './durable-fs.ts';
import { readSpoolFile } from './safe-read.ts';

/** Why an entry was set aside. */
export type QuarantineCode =
  | 'NotARegularFile'
  | 'ContentHashMismatch'
  | 'TooLarge'
  | 'UntrustedManifest'
  | 'RefusedByS3';

export interface QuarantineReason {
  code: QuarantineCode;
  /** A sentence for support staff: what is wrong with this entry. */
  message: string;
  /** The folder the entry was in: dump, temp or packs. */
  from: 'dump' | 'temp' | 'packs';
  at: string;
  /** For RefusedByS3: the S3 error code and how many times it was refused. */
  lastError?: string;
  attempts?: number;
}

export interface QuarantinedEntry {
  name: string;
  reason: QuarantineReason | null;
}

export interface Quarantine {
  readonly dir: string;
  /** Moves `path` (never following it) into the quarantine with its reason; durable before it resolves. */
  put(path: string, reason: Omit<QuarantineReason, 'at'>): Promise<string>;
  list(): Promise<QuarantinedEntry[]>;
  /**
   * Moves a quarantined cycle file back to `dumpDir` and forgets its reason. Refuses (throws with
   * a sentence) an entry that is not a regular file or not a cycle file name.
   */
  requeue(name: string, dumpDir: string): Promise<void>;
}

export const QUARANTINE_FOLDER = 'quarantine';
const REASON_SUFFIX = '.reason.json';

export function createQuarantine(storageDir: string): Quarantine {
  const dir = join(storageDir, QUARANTINE_FOLDER);
  return {
    dir,
    async put(path, reason) {
      await mkdir(dir, { recursive: true });
      const name = await freeName(dir, basename(path));
      const full: QuarantineReason = { ...reason, at: new Date().toISOString() };
      await writeFileDurably(join(dir, name + REASON_SUFFIX), JSON.stringify(full, null, 1) + '\n');
      await rename(path, join(dir, name));
      await syncDirectory(dir);
      return name;
    },
    async list() {
      const names = await readdirIfExists(dir);
      const entries: QuarantinedEntry[] = [];
      for (const name of names.sort()) {
        if (name.endsWith(REASON_SUFFIX) || name.endsWith('.partial')) continue;
        entries.push({ name, reason: await readReason(join(dir, name + REASON_SUFFIX)) });
      }
      return entries;
    },
    async requeue(name, dumpDir) {
      const path = join(dir, basename(name));
      const info = await lstat(path).catch(() => undefined);
      if (!info) throw new Error(`${name} is not in the quarantine folder ${dir}.`);
      if (!info.isFile()) throw new Error(`${name} is not a regular file (a link, pipe or device); it cannot be sent. Remove it from ${dir} by hand once it is understood.`);
      const reason = await readReason(path + REASON_SUFFIX);
      if (reason?.from === 'packs') throw new Error(`${name} is a pack manifest, not data; its files were sent one by one. Keep it for inspection or remove it by hand.`);
      const target = join(dumpDir, basename(name));
      // Never over a file of the same name in the dump: that one may be the good copy.
      if (await lstat(target).then(() => true, () => false)) throw new Error(`${name} is already in the dump folder ${dumpDir}; the quarantined copy is left where it is.`);
      await rename(path, target);
      await syncDirectory(dumpDir);
      await unlink(path + REASON_SUFFIX).catch(() => undefined);
    },
  };
}

/** `name`, or `name.1`, `name.2`... when an earlier entry of the same name is still there. */
async function freeName(dir: string, name: string): Promise<string> {
  for (let suffix = 0; ; suffix += 1) {
    const candidate = suffix === 0 ? name : `${name}.${suffix}`;
    const taken = await lstat(join(dir, candidate)).then(() => true, () => false);
    if (!taken) return candidate;
  }
}

async function readReason(path: string): Promise<QuarantineReason | null> {
  try {
    // Read like a dump file (no links, no pipes, bounded): `status` must never hang on this folder.
    return JSON.parse((await readSpoolFile(path)).toString('utf8')) as QuarantineReason;
  } catch {
    return null;
  }
}
