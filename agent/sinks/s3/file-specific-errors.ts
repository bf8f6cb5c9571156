// S3 refusals that are about one file, not about the site: sending the same bytes under the same
// key fails the same way forever, while every other file still goes through. The drain counts
// them per file and, after POISON_FILE_LIMIT of them, quarantines the file (fluent-bit's
// out_s3 `retry_limit` is the model: a chunk that keeps failing is set aside, the rest flows).
// Codes and statuses from AWS's "List of error codes" for S3,
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList :
//   EntityTooLarge (400)   the object exceeds the maximum allowed size;
//   KeyTooLongError (400)  the key is too long;
//   InvalidArgument (400)  an argument (here: only the key or body vary per file) is not valid;
//   MetadataTooLarge (400) per-request metadata is too large;
//   InvalidObjectName      a name an S3-compatible store rejects (Ceph RGW lists it);
// and HTTP 413 / 414 with no S3 code, as a proxy in front of S3 answers for a too-large body or
// a too-long URL (the SDK then names the error by its status, see classify-error.ts safeCode).
import type { SinkError } from '../../errors.ts';

export const FILE_SPECIFIC_S3_CODES: ReadonlySet<string> = new Set([
  'EntityTooLarge', 'KeyTooLongError', 'InvalidArgument', 'MetadataTooLarge', 'InvalidObjectName', 'HTTP413', 'HTTP414',
]);

/** File-specific refusals of one file before it is quarantined (each drain pass counts one). */
export const POISON_FILE_LIMIT = 3;

export function isFileSpecificRefusal(error: Pick<SinkError, 'code'>): boolean {
  return FILE_SPECIFIC_S3_CODES.has(error.code);
}
