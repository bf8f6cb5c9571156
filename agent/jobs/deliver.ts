// Sends one spooled file to S3. The bytes sent are read back from disk, so what S3 receives is
// exactly what was made durable, and a retry after any crash re-sends the same bytes to the same
// key. The file is deleted only after S3 confirmed the PUT; on any failure it stays where it is.
import { SinkError } from '../errors.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import { objectKeyFor } from '../spool/file-names.ts';
import type { Spool, SpooledFile } from '../spool/spool.ts';

export type DeliveryResult = { ok: true; key: string } | { ok: false; key: string; error: SinkError };

export async function deliverSpooledFile(
  file: Pick<SpooledFile, 'path' | 'name' | 'customerId' | 'date' | 'createdAt'>,
  deps: { sink: S3Sink; spool: Spool; prefix: string; signal?: AbortSignal },
): Promise<DeliveryResult> {
  const key = objectKeyFor(deps.prefix, file);
  let body: Buffer;
  try {
    body = await deps.spool.read(file.path);
  } catch (cause) {
    return { ok: false, key, error: new SinkError('SpoolReadError', `Could not read ${file.name} from the spool.`, { retryable: true, cause }) };
  }
  try {
    await deps.sink.upload(key, body, deps.signal);
  } catch (error) {
    const sinkError = error instanceof SinkError
      ? error
      : new SinkError('UploadError', `Upload of ${file.name} failed.`, { retryable: true, cause: error });
    return { ok: false, key, error: sinkError };
  }
  await deps.spool.remove(file.path);
  return { ok: true, key };
}
