// Cycle file names: what a spooled file is called, and what its name says about it. The S3 key a
// name maps to is the sink's business (agent/sinks/s3/object-key.ts).
//
//   acme-001_20261121T101503123Z_3f9a0c1d2e4b5a69.ndjson
//   <customer>_<cycle start, compact UTC>_<first 16 hex of the body's sha256>.ndjson
//
// The name is all a spooled file needs to find its S3 key again (customer and date come from it,
// not from today's config), and the content hash makes the key unique per content: a retry after
// any crash re-sends byte-identical bytes to the same key, which Snowpipe's name-based dedup
// requires. No ':' anywhere, so the names are valid on Windows.
import { createHash } from 'node:crypto';
import { compactUtc } from '../envelope/records.ts';

export const CYCLE_FILE_EXTENSION = '.ndjson';

const NAME_PATTERN = /^([A-Za-z0-9_-]{1,64})_(\d{8})T(\d{9})Z_([0-9a-f]{16})\.ndjson$/;

export interface SpoolFileName {
  name: string;
  customerId: string;
  /** `YYYY-MM-DD` (UTC) of the cycle start: the key's date partition. */
  date: string;
  /** The cycle start. */
  createdAt: Date;
}

export function cycleFileName(customerId: string, cycleStartedAt: Date, body: Buffer): string {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return `${customerId}_${compactUtc(cycleStartedAt)}_${hash}${CYCLE_FILE_EXTENSION}`;
}

/** Parses a spool file name; undefined for anything the agent did not write. */
export function parseSpoolFileName(name: string): SpoolFileName | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const [, customerId, day, time] = match as unknown as [string, string, string, string];
  const iso = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.${time.slice(6, 9)}Z`;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime())) return undefined;
  return { name, customerId, date: iso.slice(0, 10), createdAt };
}

/**
 * Whether `body` still hashes to the hash in the cycle file's name. A truncated, emptied or
 * rewritten file does not: it is quarantined rather than sent under a key that names other bytes.
 */
export function contentHashMatches(name: string, body: Buffer): boolean {
  const match = NAME_PATTERN.exec(name);
  return match !== null && createHash('sha256').update(body).digest('hex').slice(0, 16) === match[4];
}
