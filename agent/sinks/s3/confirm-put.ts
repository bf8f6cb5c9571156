// What proves that a PutObject stored the bytes sent. A 200 alone does not: a TLS-inspecting
// proxy or an odd S3-compatible store can answer 200 with an empty or HTML body and store nothing.
// AWS's PutObject reference (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
// "Response Syntax") lists the ETag header of the stored object and x-amz-checksum-crc32, present
// when the checksum was uploaded with the object. For a single-part upload S3 computes the
// checksum itself and rejects the request when it differs from the one sent
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html),
// so an echoed CRC32 equal to the one computed here over the body proves the write. Anything less
// is "unconfirmed": the file stays.
import { crc32 } from 'node:zlib';
import { SinkError } from '../../errors.ts';

/** What answered one PUT, as far as the agent may repeat it (no bodies, no other headers). */
export interface PutAnswer {
  status?: number;
  contentType?: string;
  server?: string;
  etag?: string;
  checksumCrc32?: string;
}

/** S3's wire form of a CRC32: the 4 big-endian bytes in base64 (x-amz-checksum-crc32). */
export function crc32Base64(body: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(body));
  return bytes.toString('base64');
}

/** Why the answer does not prove the write, or undefined when it does. */
export function unconfirmedReason(answer: PutAnswer, sentCrc32: string): string | undefined {
  if (!answer.etag) return answer.checksumCrc32 ? 'no ETag' : 'no ETag and no x-amz-checksum-crc32';
  if (!answer.checksumCrc32) return 'no x-amz-checksum-crc32';
  if (answer.checksumCrc32 !== sentCrc32) return 'an x-amz-checksum-crc32 that differs from the one sent';
  return undefined;
}

export function unconfirmedUploadError(target: string, host: string, answer: PutAnswer, reason: string): SinkError {
  const who = [
    `HTTP ${answer.status ?? '?'}`,
    `content-type ${answer.contentType ?? 'none'}`,
    `server ${answer.server ?? 'not named'}`,
  ].join(', ');
  return new SinkError('UnconfirmedUpload', `The answer to the upload of ${target} does not prove it was stored (${who}; ${reason}); the file stays and is sent again.`, {
    retryable: true,
    // An odd store may have kept the bytes without saying so.
    mayHaveBeenStored: true,
    hint: `Something other than S3 may be answering for ${host}: if a proxy or firewall inspects HTTPS, exempt ${host} from inspection (or add it to NO_PROXY); an S3-compatible service must return the ETag and the x-amz-checksum-crc32 it received.`,
  });
}

/** Header values from another party go into logs: printable ASCII only, and short. */
export function safeHeader(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const clean = value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
  return clean;
}
