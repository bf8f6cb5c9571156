// What a client left in the bucket, read on the server side (no client involved): objects and
// records under a prefix, so every drain run is checked for completeness before it counts.
import { gunzipSync } from 'node:zlib';
import type { TestS3Server } from '../helpers/s3-server.ts';

export interface BucketContents {
  objects: number;
  records: number;
  /** Record ids seen more than once (a duplicate the warehouse would have to remove). */
  duplicates: number;
}

export async function readBucket(server: TestS3Server, bucket: string, prefix: string): Promise<BucketContents> {
  const objects = (await server.listObjects(bucket)).filter((object) => object.key.startsWith(prefix));
  const ids = new Set<string>();
  let records = 0;
  let duplicates = 0;
  for (const object of objects) {
    for (const line of decode(object.body).split('\n')) {
      if (line.trim() === '') continue;
      records += 1;
      const id = (JSON.parse(line) as { record_id?: string }).record_id ?? `line-${records}`;
      if (ids.has(id)) duplicates += 1;
      ids.add(id);
    }
  }
  return { objects: objects.length, records, duplicates };
}

/** NDJSON, gzipped or not (a pack may be gzip: its first bytes say so). */
function decode(body: Buffer): string {
  const gzipped = body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
  return (gzipped ? gunzipSync(body) : body).toString('utf8');
}
