// The pack journal, <storage.dir>/packs/: the durable notes that keep compaction from ever putting
// the same records under two S3 keys, whatever moment a crash (or kill -9) hits.
//
//   packs/<pack name>.json    a pack manifest: written (fsync, rename, directory fsync) BEFORE the
//                             pack's PUT; names the key, the content hash and the sources. The
//                             next pass finishes every manifest before packing anything else
//                             (once agent/spool/manifest-check.ts trusts it; else quarantined):
//                             confirmed -> finish the deletes;
//                             all sources present -> rebuild the identical bytes -> same key;
//                             some missing and not confirmed -> a missing file proves nothing
//                             (antivirus, a person, fsck): the rest is sent alone, nothing deleted.
//                             Removed only after the deletes are durable.
//   packs/<pack name>.confirmed  written (durably) after S3 confirmed the pack's PUT and before the
//                             first delete: the only proof that deletes may have started.
//   packs/single/<file name>  "sent alone": written before a one-file PUT, so a file whose upload
//                             may have reached S3 under its own key is never packed under another.
//                             Cleared after the file is deleted, or when S3 provably did not
//                             store it (connection refused, S3 refused).
// The folder is created on first use, so `init` and `status` still see only temp/ dump/ state/.
import { constants } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirIfExists, syncDirectory, writeFileDurably } from './durable-fs.ts';
import { readSpoolFile } from './safe-read.ts';

export interface PackManifest {
  version: 1;
  name: string;
  key: string;
  /** sha256 (hex) of the uncompressed NDJSON. */
  sha256: string;
  records: number;
  /** Uncompressed bytes. */
  bytes: number;
  gzip: boolean;
  /** Spool file names in dump/, in pack order. */
  sources: string[];
}

export interface PackJournal {
  readonly dir: string;
  /** Durable before it resolves. */
  writeManifest(manifest: PackManifest): Promise<void>;
  /** Readable manifests, the names of those S3 confirmed, and the paths of unreadable ones
   *  (left in place: the caller quarantines them). */
  listManifests(): Promise<{ manifests: PackManifest[]; unreadable: string[]; confirmed: Set<string> }>;
  /** Durably notes that S3 confirmed the pack `name`: from now on its sources may be deleted. */
  markConfirmed(name: string): Promise<void>;
  /** Removes the manifest, then its confirmation. */
  removeManifest(name: string): Promise<void>;
  /** Durably notes that `fileName` is being sent alone; resolves true when it already was. */
  markSentAlone(fileName: string): Promise<boolean>;
  clearSentAlone(fileName: string): Promise<void>;
  listSentAlone(): Promise<Set<string>>;
}

const MANIFEST_SUFFIX = '.json';
const PARTIAL_SUFFIX = '.partial';
const CONFIRMED_SUFFIX = '.confirmed';

export function createPackJournal(storageDir: string): PackJournal {
  const dir = join(storageDir, 'packs');
  const singleDir = join(dir, 'single');

  return {
    dir,
    async writeManifest(manifest) {
      await mkdir(dir, { recursive: true });
      const finalPath = join(dir, manifest.name + MANIFEST_SUFFIX);
      // A confirmation left by an earlier pack of the same name must not vouch for this one.
      await unlinkIfPresent(join(dir, manifest.name + CONFIRMED_SUFFIX));
      await writeFileDurably(finalPath, JSON.stringify(manifest, null, 1) + '\n', { partialPath: finalPath + PARTIAL_SUFFIX });
    },
    listManifests: () => readManifests(dir),
    async markConfirmed(name) {
      await (await open(join(dir, name + CONFIRMED_SUFFIX), constants.O_CREAT | constants.O_WRONLY)).close();
      await syncDirectory(dir);
    },
    async removeManifest(name) {
      await unlinkIfPresent(join(dir, name + MANIFEST_SUFFIX));
      await syncDirectory(dir);
      await unlinkIfPresent(join(dir, name + CONFIRMED_SUFFIX));
    },
    async markSentAlone(fileName) {
      await mkdir(singleDir, { recursive: true });
      try {
        await (await open(join(singleDir, fileName), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY)).close();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return true;
        throw error;
      }
      await syncDirectory(singleDir);
      return false;
    },
    async clearSentAlone(fileName) {
      await unlinkIfPresent(join(singleDir, fileName));
    },
    async listSentAlone() {
      return new Set(await readdirIfExists(singleDir));
    },
  };
}

async function readManifests(dir: string): Promise<{ manifests: PackManifest[]; unreadable: string[]; confirmed: Set<string> }> {
  const manifests: PackManifest[] = [];
  const unreadable: string[] = [];
  const entries = (await readdirIfExists(dir)).sort();
  const confirmed = new Set(entries.filter((entry) => entry.endsWith(CONFIRMED_SUFFIX)).map((entry) => entry.slice(0, -CONFIRMED_SUFFIX.length)));
  for (const entry of entries) {
    const path = join(dir, entry);
    // Never renamed into place, so never acted on: no PUT was made from it.
    if (entry.endsWith(MANIFEST_SUFFIX + PARTIAL_SUFFIX)) {
      await unlinkIfPresent(path);
      continue;
    }
    if (!entry.endsWith(MANIFEST_SUFFIX)) continue;
    // Read like a dump file: never through a link, never from a pipe, never more than its size.
    const manifest = parseManifest((await readSpoolFile(path).catch(() => Buffer.alloc(0))).toString('utf8'));
    if (manifest && manifest.name + MANIFEST_SUFFIX === entry) manifests.push(manifest);
    else unreadable.push(path);
  }
  // A confirmation whose manifest is gone: a crash between removing the two.
  const named = new Set(manifests.map((manifest) => manifest.name));
  for (const name of confirmed) {
    if (named.has(name) || entries.includes(name + MANIFEST_SUFFIX)) continue;
    await unlinkIfPresent(join(dir, name + CONFIRMED_SUFFIX));
    confirmed.delete(name);
  }
  return { manifests, unreadable, confirmed };
}

function parseManifest(text: string): PackManifest | undefined {
  try {
    const value = JSON.parse(text) as Partial<PackManifest>;
    const valid =
      value.version === 1 && typeof value.name === 'string' && typeof value.key === 'string' &&
      typeof value.sha256 === 'string' && typeof value.records === 'number' && typeof value.bytes === 'number' &&
      typeof value.gzip === 'boolean' && Array.isArray(value.sources) && value.sources.every((s) => typeof s === 'string');
    return valid ? (value as PackManifest) : undefined;
  } catch {
    return undefined;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
