// The local file store between collection and S3: <storage.dir>/temp and <storage.dir>/dump.
//
// Lifecycle of one cycle file:
//   temp/.<name>.partial  --write, fsync-->  temp/<name>  (rename: the file is now durable)
//   temp/<name>  --S3 confirmed-->  deleted
//   temp/<name>  --upload failed-->  dump/<name>  --a later drain, S3 confirmed-->  deleted
// At start-up, complete files still in temp/ (a crash between write and upload) move to dump/;
// *.partial files were never complete, were never reported as written, and are removed.
// A file is deleted only by `remove` or `removeConfirmed`, which callers use only after S3
// confirmed the upload (for a pack: the pack holding it; see pack-journal.ts for packs/).
// Only regular files are listed and read (lstat, agent/spool/safe-read.ts); anything else with a
// cycle file name, and any file whose bytes no longer match its name, goes to quarantine/
// (agent/spool/quarantine.ts), never to S3 and never to the bin.
import { lstat, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseSpoolFileName, type SpoolFileName } from './file-names.ts';
import { createPackJournal, type PackJournal } from './pack-journal.ts';
import { readdirIfExists, syncDirectory, writeFileDurably } from './durable-fs.ts';
import { createQuarantine, QUARANTINE_FOLDER, type Quarantine } from './quarantine.ts';
import { readSpoolFile } from './safe-read.ts';

/**
 * The folders under storage.dir the agent creates, empties and moves files between (status.json
 * lives in state/). Nothing else may live inside them: a log folder there would be swept up.
 */
export const STORAGE_WORKING_FOLDERS = ['temp', 'dump', 'packs', 'state', QUARANTINE_FOLDER] as const;

const PARTIAL_SUFFIX = '.partial';

export interface SpooledFile extends SpoolFileName {
  path: string;
  bytes: number;
}

export interface DumpUsage {
  files: number;
  bytes: number;
  oldest: Date | null;
  /** Files in dump/ whose names the agent did not write (left alone, reported). */
  unrecognised: string[];
}

export interface Spool {
  readonly tempDir: string;
  readonly dumpDir: string;
  /** Creates temp/ and dump/ if needed. */
  prepare(): Promise<void>;
  /** Writes `body` to temp/<name> atomically and durably; returns its path. */
  writeTemp(name: string, body: Buffer): Promise<string>;
  /** Moves a temp file to dump/ (after a failed upload). */
  moveToDump(path: string): Promise<void>;
  /** Recovery (start-up, and before each cycle): complete temp files to dump/, partial ones
   *  removed. `beforeMove` gets the complete files' paths first. */
  recoverTemp(beforeMove?: (paths: string[]) => Promise<void>): Promise<{ moved: string[]; removedPartials: string[] }>;
  /** Dump files (regular files only), oldest cycle first. */
  listDump(): Promise<SpooledFile[]>;
  /** Entries in dump/ with a cycle file name that are not regular files (links, FIFOs, devices). */
  listDumpSpecial(): Promise<string[]>;
  dumpUsage(): Promise<DumpUsage>;
  /** A regular file's bytes, checked against the hash in its name (throws SpoolFileRejected). */
  read(path: string): Promise<Buffer>;
  /** Deletes a spooled file. Call only after S3 confirmed it. */
  remove(path: string): Promise<void>;
  /** Deletes dump files S3 confirmed (as part of a pack), durably: the directory is synced before
   *  it resolves. Files already gone are fine (a pass interrupted mid-way deleted them). */
  removeConfirmed(paths: string[]): Promise<void>;
  /** Pack manifests and "sent alone" notes (packs/). */
  readonly journal: PackJournal;
  /** What must be neither sent nor deleted (quarantine/). */
  readonly quarantine: Quarantine;
}

export function createSpool(storageDir: string): Spool {
  const tempDir = join(storageDir, 'temp');
  const dumpDir = join(storageDir, 'dump');

  return {
    tempDir,
    dumpDir,
    async prepare() {
      await mkdir(tempDir, { recursive: true });
      await mkdir(dumpDir, { recursive: true });
    },
    async writeTemp(name, body) {
      const finalPath = join(tempDir, name);
      await writeFileDurably(finalPath, body, { partialPath: join(tempDir, `.${name}${PARTIAL_SUFFIX}`), what: 'the cycle file' });
      return finalPath;
    },
    async moveToDump(path) {
      await rename(path, join(dumpDir, basename(path)));
      await syncDirectory(dumpDir);
    },
    async recoverTemp(beforeMove) {
      const complete: string[] = [];
      const removedPartials: string[] = [];
      for (const entry of await readdir(tempDir)) {
        if (entry.endsWith(PARTIAL_SUFFIX)) {
          await unlink(join(tempDir, entry));
          removedPartials.push(entry);
        } else if (parseSpoolFileName(entry)) {
          complete.push(entry);
        }
      }
      // What the caller must make durable about these files (the observation dedup) is done
      // before they move, so a crash in between leaves them in temp/ to be looked at again.
      if (complete.length > 0) await beforeMove?.(complete.map((entry) => join(tempDir, entry)));
      for (const entry of complete) await rename(join(tempDir, entry), join(dumpDir, entry));
      if (complete.length > 0) await syncDirectory(dumpDir);
      return { moved: complete, removedPartials };
    },
    listDump: async () => (await listSpooled(dumpDir)).files,
    listDumpSpecial: async () => (await listSpooled(dumpDir)).special,
    async dumpUsage() {
      const { files } = await listSpooled(dumpDir);
      const unrecognised = (await readdirIfExists(dumpDir)).filter((name) => !parseSpoolFileName(name));
      return {
        files: files.length,
        bytes: files.reduce((sum, file) => sum + file.bytes, 0),
        oldest: files[0]?.createdAt ?? null,
        unrecognised,
      };
    },
    read: readSpoolFile,
    async remove(path) {
      await unlink(path);
    },
    async removeConfirmed(paths) {
      await forEachInBatches(paths, async (path) => {
        try {
          await unlink(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      });
      await syncDirectory(dumpDir);
    },
    journal: createPackJournal(storageDir),
    quarantine: createQuarantine(storageDir),
  };
}

/** Runs `action` over `items`, a batch at a time: a backlog holds thousands of files, and one
 *  file-system call after another leaves the disk idle between them. */
async function forEachInBatches<T>(items: T[], action: (item: T) => Promise<void>, batchSize = 64): Promise<void> {
  for (let start = 0; start < items.length; start += batchSize) {
    await Promise.all(items.slice(start, start + batchSize).map(action));
  }
}

async function listSpooled(dir: string): Promise<{ files: SpooledFile[]; special: string[] }> {
  const files: SpooledFile[] = [];
  const special: string[] = [];
  const entries = (await readdirIfExists(dir)).flatMap((entry) => {
    const parsed = parseSpoolFileName(entry);
    return parsed ? [parsed] : [];
  });
  await forEachInBatches(entries, async (parsed) => {
    const path = join(dir, parsed.name);
    try {
      // lstat: a symlink is reported as itself, never as what it points to.
      const info = await lstat(path);
      if (info.isFile()) files.push({ ...parsed, path, bytes: info.size });
      else special.push(path);
    } catch (error) {
      // Removed by a concurrent drain between readdir and stat: nothing to list.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  });
  files.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name));
  return { files, special: special.sort() };
}
