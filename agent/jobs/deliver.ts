// Sends spooled data to S3: one file alone, or a pack of many dump files (agent/spool/pack.ts).
// The bytes sent are read back from disk, so what S3 receives is exactly what was made durable,
// and a retry after any crash re-sends the same bytes to the same key. Files are deleted only
// after S3 confirmed the PUT that holds them; on any failure they stay where they are.
//
// Both paths write a durable note BEFORE their PUT (agent/spool/pack-journal.ts) so that a crash
// at any point can never lead to the same records under two keys:
//   alone: a "sent alone" note -> the file is never packed while its own key may hold it;
//   pack:  the manifest -> the next pass re-sends the same pack or finishes its deletes; after
//          S3 confirmed it, a confirmation note -> only then may its sources be deleted.
// A file the spool refuses to read as it is (not a regular file, bytes that do not match its name)
// is quarantined, never sent (agent/spool/quarantine.ts).
import { SinkError, SpoolFileRejected } from '../errors.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import { objectKeyFor } from '../sinks/s3/object-key.ts';
import type { PackManifest } from '../spool/pack-journal.ts';
import { encodePackBody, sha256Hex } from '../spool/pack.ts';
import type { Spool, SpooledFile } from '../spool/spool.ts';

export type DeliveryResult = { ok: true; key: string } | { ok: false; key: string; error: SinkError; quarantined?: QuarantinedFile };

export interface QuarantinedFile {
  /** Name in the quarantine folder. */
  name: string;
  code: SpoolFileRejected['code'];
  detail: string;
}

export interface DeliverDeps {
  sink: S3Sink;
  spool: Spool;
  signal?: AbortSignal;
}

export type PackDeliveryResult =
  | { ok: true; key: string; uploaded: boolean; cleanupError?: unknown }
  | { ok: false; key: string; error: SinkError; abandoned?: 'changed' | 'missing' | 'refused'; missing?: string[] };

export async function deliverSpooledFile(
  file: Pick<SpooledFile, 'path' | 'name' | 'customerId' | 'date' | 'createdAt'>,
  deps: DeliverDeps & { prefix: string },
): Promise<DeliveryResult> {
  const key = objectKeyFor(deps.prefix, file);
  let body: Buffer;
  try {
    body = await deps.spool.read(file.path);
  } catch (cause) {
    if (cause instanceof SpoolFileRejected) return quarantineRejected(file, key, cause, deps.spool);
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
 * A manifest left by an interrupted pass (already checked by agent/spool/manifest-check.ts).
 * Confirmed: S3 had the pack and the deletes may have started; only they are finished. All
 * sources present: S3 may or may not have it, so the identical bytes go to the same key again.
 * Some missing without a confirmation: something else removed them (a person, antivirus, fsck);
 * that proves nothing about S3, so nothing is deleted and the rest is given up as a pack (the
 * caller sends them one by one).
 */
export async function resumePack(
  unit: { manifest: PackManifest; present: Pick<SpooledFile, 'path' | 'name'>[]; confirmed?: boolean },
  deps: DeliverDeps,
): Promise<PackDeliveryResult> {
  const { manifest, present } = unit;
  if (unit.confirmed) return { ok: true, key: manifest.key, uploaded: false, ...(await finishConfirmed(manifest, present, deps.spool)) };
  if (present.length < manifest.sources.length) {
    const have = new Set(present.map((file) => file.name));
    return abandonPack(manifest, deps.spool, 'missing', manifest.sources.filter((name) => !have.has(name)));
  }
  let ndjson: Buffer;
  try {
    ndjson = Buffer.concat(await Promise.all(present.map((file) => deps.spool.read(file.path))));
  } catch (cause) {
    // A source that may not be sent as it is: the pack cannot be rebuilt; each goes alone (and
    // that one to the quarantine).
    if (cause instanceof SpoolFileRejected) return abandonPack(manifest, deps.spool, 'changed');
    return { ok: false, key: manifest.key, error: new SinkError('SpoolReadError', `Could not read the files of pack ${manifest.name}.`, { retryable: true, cause }) };
  }
  if (sha256Hex(ndjson) !== manifest.sha256) return abandonPack(manifest, deps.spool, 'changed');
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
  try {
    // Before the first delete: from here on a missing source means "deleted after S3 confirmed".
    await deps.spool.journal.markConfirmed(manifest.name);
  } catch (cleanupError) {
    // The files stay; the next pass re-sends the same bytes to the same key (a no-op for S3).
    return { ok: true, key: manifest.key, uploaded: true, cleanupError };
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
 * The pack cannot be finished as it was made: its sources changed on disk ('changed'), some are
 * gone without a confirmation ('missing'), or S3 refused the pack itself for a file-specific
 * reason ('refused'). The key must never get different bytes, so the pack is given up: its files
 * go alone from now on, under their own keys. Should the pack have reached S3 earlier, its records
 * are there twice (under the pack and their own keys) and the warehouse's record_id MERGE removes
 * the copies; nothing is lost, and nothing is deleted here.
 */
export async function abandonPack(manifest: PackManifest, spool: Spool, why: 'changed' | 'missing' | 'refused', missing?: string[]): Promise<PackDeliveryResult> {
  for (const source of manifest.sources) await spool.journal.markSentAlone(source);
  await spool.journal.removeManifest(manifest.name);
  const what = why === 'changed' ? 'changed on disk since it was made' : why === 'missing' ? 'are partly missing (removed by something other than the agent)' : 'were refused by S3 as one object';
  const error = new SinkError('PackAbandoned', `The files of pack ${manifest.name} ${what}; they will be sent one by one instead.`, { retryable: true });
  return { ok: false, key: manifest.key, error, abandoned: why, ...(missing ? { missing } : {}) };
}

async function quarantineRejected(file: Pick<SpooledFile, 'path' | 'name'>, key: string, rejected: SpoolFileRejected, spool: Spool): Promise<DeliveryResult> {
  const from = file.path.startsWith(spool.tempDir) ? 'temp' : 'dump';
  let name: string;
  try {
    name = await spool.quarantine.put(file.path, { code: rejected.code, message: rejected.message, from });
  } catch (cause) {
    // Not sent either way; the next pass tries to set it aside again.
    return { ok: false, key, error: new SinkError('QuarantineFailed', `${rejected.message} It could not be moved to the quarantine folder ${spool.quarantine.dir}.`, { retryable: true, cause }) };
  }
  await spool.journal.clearSentAlone(file.name).catch(() => undefined);
  const error = new SinkError(rejected.code, rejected.message, { retryable: false, cause: rejected });
  return { ok: false, key, error, quarantined: { name, code: rejected.code, detail: rejected.message } };
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
