// Packs: many dump files' records in one S3 object, for draining a backlog cheaply.
//
//   acme-001_20261121T101503123Z_pack-3f9a0c1d2e4b5a69.ndjson[.gz]
//   <customer>_<first source's cycle start>_pack-<first 16 hex of the NDJSON's sha256>.ndjson
//
// A pack is the byte concatenation of its sources' NDJSON, in the dump's order (oldest cycle
// first, then name), so the same sources always give the same bytes, the same hash and the same
// key: a retry after a crash re-sends the same object, never a second one with the same records.
// The hash is taken over the uncompressed NDJSON, so the name does not depend on the zlib build.
// Packs never mix customers or date partitions (the key carries both). The `pack-` part makes a
// pack recognisable in S3 and keeps it from ever parsing as a cycle file name.
// A pack's S3 key is fixed here, before its PUT, because the manifest that makes a crash safe
// must name it; the layout itself is the sink's: callers pass it in as `keyOf`
// (agent/sinks/s3/object-key.ts keysUnder, from jobs/).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compactUtc } from '../envelope/records.ts';

export interface PackLimits {
  /** Most records (NDJSON lines) in one pack. */
  maxRecords: number;
  /** Most uncompressed bytes in one pack. */
  maxBytes: number;
  /** Fewer eligible files than this in a partition are sent one by one, as before. */
  minFiles: number;
}

/** 5,000 records keeps a 10,000-file backlog at 2 PUTs (goal: at most 1 request per 500 records);
 *  16 MiB keeps memory bounded and stays far below the size where S3 wants multipart uploads. */
export const DEFAULT_PACK_LIMITS: PackLimits = { maxRecords: 5000, maxBytes: 16 * 1024 * 1024, minFiles: 2 };

/** Fixed, so the same NDJSON always compresses to the same bytes with the same zlib. */
const GZIP_LEVEL = 6;
const PACK_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}_\d{8}T\d{9}Z_pack-[0-9a-f]{16}\.ndjson(\.gz)?$/;

export interface PackIdentity {
  name: string;
  key: string;
  /** sha256 (hex) of the uncompressed NDJSON. */
  sha256: string;
}

export function isPackName(name: string): boolean {
  return PACK_NAME_PATTERN.test(name);
}

/** Where a file with this name and partition goes in the bucket (the sink's key layout). */
export type KeyOf = (file: { name: string; customerId: string; date: string }) => string;

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Name and key of the pack holding `ndjson`, in the partition of its first source. */
export function identifyPack(
  keyOf: KeyOf,
  first: { customerId: string; date: string; createdAt: Date },
  ndjson: Buffer,
  gzip: boolean,
): PackIdentity {
  return packIdentityFor(keyOf, first, sha256Hex(ndjson), gzip);
}

/** The same from the NDJSON's hash alone: what a manifest must say if the agent wrote it. */
export function packIdentityFor(
  keyOf: KeyOf,
  first: { customerId: string; date: string; createdAt: Date },
  sha256: string,
  gzip: boolean,
): PackIdentity {
  const name = `${first.customerId}_${compactUtc(first.createdAt)}_pack-${sha256.slice(0, 16)}.ndjson${gzip ? '.gz' : ''}`;
  return { name, key: keyOf({ name, customerId: first.customerId, date: first.date }), sha256 };
}

/** The bytes that go to S3. */
export function encodePackBody(ndjson: Buffer, gzip: boolean): Buffer {
  return gzip ? gzipSync(ndjson, { level: GZIP_LEVEL }) : ndjson;
}

/**
 * Records in a spool file, or undefined when it is not clean NDJSON (empty, no final newline, a
 * blank or non-JSON line). Such a file is never packed: Snowflake may skip a whole object over
 * one bad line, and one file's damage must not cost the records of thousands of others.
 */
export function countNdjsonRecords(body: Buffer): number | undefined {
  if (body.length === 0 || body[body.length - 1] !== 0x0a) return undefined;
  const lines = body.toString('utf8').split('\n');
  lines.pop();
  for (const line of lines) {
    if (line.length === 0) return undefined;
    try {
      const value: unknown = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    } catch {
      return undefined;
    }
  }
  return lines.length;
}
