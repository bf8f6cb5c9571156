// Whether a pack manifest found in packs/ is one this agent would have written. A manifest decides
// what gets sent under which key and which dump files are deleted afterwards, so one that was
// crafted, damaged or written for another site must never be acted on: the drain quarantines it
// and plans its files as if it did not exist.
import { parseSpoolFileName } from './file-names.ts';
import type { PackManifest } from './pack-journal.ts';
import { packIdentityFor, type KeyOf } from './pack.ts';

/** Undefined when the manifest is trustworthy; otherwise what is wrong with it. */
export function untrustedManifestReason(manifest: PackManifest, site: { keyOf: KeyOf; customerId?: string }): string | undefined {
  if (manifest.sources.length === 0) return 'it lists no files';
  if (new Set(manifest.sources).size !== manifest.sources.length) return 'it lists a file twice';
  const parsed = manifest.sources.map((source) => parseSpoolFileName(source));
  // A name that is not a cycle file name (a path, "../x", another folder's file) is not a dump file.
  const bad = manifest.sources.find((_, index) => parsed[index] === undefined);
  if (bad !== undefined) return `it lists "${bad.slice(0, 80)}", which is not a cycle file name in the dump`;
  const first = parsed[0]!;
  if (site.customerId !== undefined && first.customerId !== site.customerId) return `its files belong to customer "${first.customerId}", not to this site's "${site.customerId}"`;
  if (parsed.some((file) => file!.customerId !== first.customerId || file!.date !== first.date)) return 'its files span more than one customer or date partition';
  if (!/^[0-9a-f]{64}$/.test(manifest.sha256)) return 'its content hash is not a sha256';
  if (!Number.isSafeInteger(manifest.records) || manifest.records < 1 || !Number.isSafeInteger(manifest.bytes) || manifest.bytes < 1) return 'its record or byte count is not a positive whole number';
  const expected = packIdentityFor(site.keyOf, first, manifest.sha256, manifest.gzip);
  if (manifest.name !== expected.name) return `its name is not the one its content gives (${expected.name})`;
  if (manifest.key !== expected.key) return `its S3 key is not the one this site derives (${expected.key}); s3.prefix may have changed since it was written`;
  return undefined;
}
