// Where a spooled file goes in the bucket: the S3 key layout, the one place that knows it.
//
//   <prefix>customer=<id>/date=<YYYY-MM-DD>/<file name>
//
// Customer and date come from the file's name (agent/spool/file-names.ts), not from today's
// config or clock, so a file retried days later still lands in its own partition, under the same
// key as every earlier attempt (Snowpipe's name-based dedup relies on it). sql/02_ingest.sql's pipe
// PATTERN matches this layout and takes a record's customer from `customer=`. Pure and SDK-free:
// jobs/ hands keysUnder(prefix) to the spool's pack planner, which must write a pack's key into its
// manifest before the PUT, without the spool knowing the layout.

/** The parts of a spool file name a key is made of (a SpoolFileName is one). */
export interface KeyedFile {
  name: string;
  customerId: string;
  /** `YYYY-MM-DD` (UTC) of the cycle start. */
  date: string;
}

/** `<prefix>customer=<id>/date=<YYYY-MM-DD>/<file name>`; `prefix` is '' or ends with '/'. */
export function objectKeyFor(prefix: string, file: KeyedFile): string {
  return `${prefix}customer=${file.customerId}/date=${file.date}/${file.name}`;
}

/** objectKeyFor with the site's `s3.prefix` fixed: what the spool's pack code takes as `keyOf`. */
export function keysUnder(prefix: string): (file: KeyedFile) => string {
  return (file) => objectKeyFor(prefix, file);
}
