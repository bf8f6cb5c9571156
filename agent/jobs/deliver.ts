// Sends spooled data to S3: one file alone, or a pack of many dump files (agent/spool/pack.ts).
// The bytes sent are read back from disk, so what S3 receives is exactly what was made durable,
// and a retry after any crash re-sends the same bytes to the same key. Files are deleted only
// after S3 confirmed the PUT that holds them; on any failure they stay where they are.
//
// Both paths write a durable note BEFORE their PUT (agent/spool/pack-journal.ts) so that a crash
// at any point can never lead to the same records under two keys:
//   alone: a "sent alone" note -> the file is never packed while its own key may hold it;
//   pack:  the manifest -> the next pass re-sends the same pack or finishes its deletes.
import { SinkError } from '../errors.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import { objectKeyFor } from '../spool/file-names.ts';
import type { PackManifest } from '../spool/pack-journal.ts';
import { encodePackBody, sha256Hex } from '../spool/pack.ts';
import type { Spool, SpooledFile } from '../spool/spool.ts';

export type DeliveryResult = { ok: true; key: string } | { ok: false; key: string; error: SinkError };

export interface DeliverDeps {
  sink: S3Sink;
  spool: Spool;
  signal?: AbortSignal;
}

export type PackDeliveryResult =
  | { ok: true; key: string; uploaded: boolean; cleanupError?: unknown }
  | { ok: false; key: string; error: SinkError; abandoned?: boolean };

export async function deliverSpooledFile(
  file: Pick<SpooledFile, 'path' | 'name' | 'customerId' | 'date' | 'createdAt'>,
  deps: DeliverDeps & { prefix: string },
): Promise<DeliveryResult> {
  const key = objectKeyFor(deps.prefix, file);
  let body: Buffer;
  try {
    body = await deps.spool.read(file.path);
  } catch (cause) {
    return { ok: false, key, error: new SinkError('SpoolReadError', `Could not read ${file.name} from the spool.`, { retryable: true, cause }) };
  }
  const noted = await noteSentAlone(deps.spool, file.name);
  try {
    await deps.sink.upload(key, body, deps.signal);
  } catch (error) {
    const sinkError = toSinkError(error, `Upload of ${file.name} failed.`);
    // Only a first upload none of whose attempts can have stored anything (the sink's verdict
    // over every attempt) may free the file for packing again.
    if (noted === 'new' && !sinkError.mayHaveBeenStored) await deps.spool.journal.clearSentAlone(file.name).catch(() => undefined);
    return { ok: false, key, error: sinkError };
  }
  await deps.spool.remove(file.path);
  await deps.spool.journal.clearSentAlone(file.name).catch(() => undefined);
  return { ok: true, key };
}

/** A new pack: manifest first (durable), then the PUT, then the deletes, then the manifest. */
export async function deliverPack(
  pack: { manifest: PackManifest; files: Pick<SpooledFile, 'path'>[]; ndjson: Buffer },
  deps: DeliverDeps,
): Promise<PackDeliveryResult> {
  const { manifest } = pack;
  try {
    await deps.spool.journal.writeManifest(manifest);
  } catch (cause) {
    // Without a durable manifest a crash after the PUT could re-pack these files differently.
    return { ok: false, key: manifest.key, error: new SinkError('SpoolWriteError', `Could not write the manifest of pack ${manifest.name}.`, { retryable: true, cause }) };
  }
  return uploadAndFinish(manifest, pack.files, pack.ndjson, deps);
}

/**
 * A manifest left by an interrupted pass. All sources present: S3 may or may not have the pack,
 * so the identical bytes go to the same key again. Some missing: deletes start only after S3
 * confirmed the pack, so it is there; only the deletes are finished.
 */
export async function resumePack(
  unit: { manifest: PackManifest; present: Pick<SpooledFile, 'path'>[] },
  deps: DeliverDeps,
): Promise<PackDeliveryResult> {
  const { manifest, present } = unit;
  if (present.length < manifest.sources.length) {
    return { ok: true, key: manifest.key, uploaded: false, ...(await finishConfirmed(manifest, present, deps.spool)) };
  }
  let ndjson: Buffer;
  try {
    ndjson = Buffer.concat(await Promise.all(present.map((file) => deps.spool.read(file.path))));
  } catch (cause) {
    return { ok: false, key: manifest.key, error: new SinkError('SpoolReadError', `Could not read the files of pack ${manifest.name}.`, { retryable: true, cause }) };
  }
  if (sha256Hex(ndjson) !== manifest.sha256) return abandonPack(manifest, deps.spool);
  return uploadAndFinish(manifest, present, ndjson, deps);
}

async function uploadAndFinish(
  manifest: PackManifest,
  files: Pick<SpooledFile, 'path'>[],
  ndjson: Buffer,
  deps: DeliverDeps,
): Promise<PackDeliveryResult> {
  try {
    await deps.sink.upload(manifest.key, encodePackBody(ndjson, manifest.gzip), deps.signal);
  } catch (error) {
    // The manifest stays whatever the failure: the next pass sends exactly this pack first.
    return { ok: false, key: manifest.key, error: toSinkError(error, `Upload of pack ${manifest.name} failed.`) };
  }
  return { ok: true, key: manifest.key, uploaded: true, ...(await finishConfirmed(manifest, files, deps.spool)) };
}

/** Deletes (durably) before the manifest goes: a crash in between leaves a manifest to finish. */
async function finishConfirmed(manifest: PackManifest, files: Pick<SpooledFile, 'path'>[], spool: Spool): Promise<{ cleanupError?: unknown }> {
  try {
    await spool.removeConfirmed(files.map((file) => file.path));
    await spool.journal.removeManifest(manifest.name);
    return {};
  } catch (cleanupError) {
    return { cleanupError };
  }
}

/**
 * The sources no longer hash to what the manifest recorded (a disk fault changed a file). The key
 * must never get different bytes, so the pack is given up: its files go alone from now on, under
 * their own keys. Should the pack have reached S3 earlier, its records are there twice (under the
 * pack and their own keys) and the warehouse's record_id MERGE removes the copies; nothing is lost.
 */
async function abandonPack(manifest: PackManifest, spool: Spool): Promise<PackDeliveryResult> {
  for (const source of manifest.sources) await spool.journal.markSentAlone(source);
  await spool.journal.removeManifest(manifest.name);
  const error = new SinkError('PackContentChanged', `The files of pack ${manifest.name} changed on disk since it was made; they will be sent one by one instead.`, {
    retryable: true,
  });
  return { ok: false, key: manifest.key, error, abandoned: true };
}

/** 'new' when this call wrote the note, 'earlier' when a previous attempt had, 'failed' if the disk refused. */
async function noteSentAlone(spool: Spool, name: string): Promise<'new' | 'earlier' | 'failed'> {
  try {
    return (await spool.journal.markSentAlone(name)) ? 'earlier' : 'new';
  } catch {
    // A full disk must not stop the uploads that would free it; the cost is at worst that this
    // file, if its upload fails ambiguously, may later be packed: a duplicate record_id, not a loss.
    return 'failed';
  }
}

function toSinkError(error: unknown, message: string): SinkError {
  return error instanceof SinkError ? error : new SinkError('UploadError', message, { retryable: true, cause: error });
}
