// One dump retry pass: every file in dump/, oldest cycle first, a few uploads at a time.
//
// A backlog is compacted on the way out: files of the same customer and date partition go as
// packs (many records in one object, agent/spool/pack.ts), so a week-long outage drains in a few
// PUTs instead of ten thousand. Packs a crash interrupted are finished first, exactly as they were
// made (agent/spool/pack-journal.ts); a partition with a single file sends it alone, as before.
//
// A pass stops early, leaving the rest for the next pass, when S3 refuses in a way that a retry
// cannot fix (wrong credentials, missing bucket: every file would fail the same way and support
// staff need one clear error line, not thousands), or after several failures in a row (S3 is down:
// no point timing out on every file). A single bad file does not block the ones behind it, and a
// file S3 keeps refusing for a reason of its own (too large, a rejected name) is quarantined after
// a few passes (agent/jobs/drain-quarantine.ts), as are dump entries that are not regular files,
// files whose bytes no longer match their name, and pack manifests the agent did not write.
// Nothing leaves dump/ unless S3 confirmed the object holding it, or to the quarantine.
//
// Which layer retries (the S3 path, see agent/sinks/s3/sink.ts): the sink's own loop retries one
// upload; the retry schedule (s3.retry_schedule) starts the next pass. A pass is not a retry
// layer: it sends each file (or pack) once, and the failures-in-a-row stop is a pass stop, not a
// retry limit: it ends this pass early and leaves the rest, uncounted, for the next scheduled
// pass. An abandoned pack's files sent alone in the same pass are a fallback to other keys, not a
// retry of the pack. The per-file failure counts only decide the quarantine, never a wait.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinkError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { isFileSpecificRefusal } from '../sinks/s3/file-specific-errors.ts';
import { keysUnder } from '../sinks/s3/object-key.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import { planDrain, type DrainUnit } from '../spool/pack-plan.ts';
import { DEFAULT_PACK_LIMITS, type PackLimits } from '../spool/pack.ts';
import type { Spool, SpooledFile } from '../spool/spool.ts';
import type { DrainSummary, StatusStore } from '../state/status-store.ts';
import { abandonPack, deliverPack, deliverSpooledFile, resumePack, type PackDeliveryResult } from './deliver.ts';
import { logQuarantined, quarantinePoisonFiles, setAsideUntrusted } from './drain-quarantine.ts';
import { forgetFailures, recordFailures, recordPass } from './drain-record.ts';
import { recordError } from './record-error.ts';
import { LogEvents } from '../log/events.ts';

export interface DrainDeps {
  sink: S3Sink;
  spool: Spool;
  store: StatusStore;
  logger: Logger;
  prefix: string;
  /** This site's customer id: a pack manifest for another customer is not trusted. */
  customerId?: string;
  /** Uploads in flight at once. */
  concurrency?: number;
  /** Overrides of DEFAULT_PACK_LIMITS. */
  packLimits?: Partial<PackLimits>;
  /** Send packs gzipped (`.ndjson.gz`; Snowflake reads them as is). Default false. */
  gzipPacks?: boolean;
}

/** The stored pass summary (without its time) plus what only the caller needs. */
export interface DrainResult extends Omit<DrainSummary, 'at' | 'stoppedBy'> {
  /** Objects S3 confirmed: packs plus files sent alone. */
  objects: number;
  packs: number;
  /** Why the pass stopped before trying every file, if it did. */
  stoppedBy?: SinkError;
}

const DEFAULT_CONCURRENCY = 8;
const MAX_FAILURES_IN_A_ROW = 3;
/** Packs held in memory at once (each up to maxBytes, twice while gzipping). */
const MAX_PACKS_IN_FLIGHT = 2;

interface PassState {
  uploaded: number;
  failed: number;
  objects: number;
  packs: number;
  failuresInARow: number;
  stoppedBy: SinkError | undefined;
  succeeded: string[];
  failures: Map<string, { error: SinkError; alone: boolean }>;
  quarantined: number;
}

export async function drainDump(deps: DrainDeps, signal?: AbortSignal): Promise<DrainResult> {
  const setAside = await setAsideUntrusted(deps.spool, deps.logger, { keyOf: keysUnder(deps.prefix), ...(deps.customerId ? { customerId: deps.customerId } : {}) });
  const { manifests, confirmed } = setAside;
  const files = await deps.spool.listDump();
  if (files.length === 0 && manifests.length === 0) {
    return { uploaded: 0, failed: 0, remaining: 0, objects: 0, packs: 0, ...(setAside.quarantined ? { quarantined: setAside.quarantined } : {}) };
  }
  deps.logger.info(LogEvents.passStarted, { files: files.length, ...(manifests.length ? { interrupted_packs: manifests.length } : {}) });
  const sentAlone = await forgetStaleNotes(deps.spool, files);

  const pass: PassState = {
    uploaded: 0, failed: 0, objects: 0, packs: 0, failuresInARow: 0, stoppedBy: undefined, succeeded: [], failures: new Map(), quarantined: setAside.quarantined,
  };
  const room = createPackRoom(MAX_PACKS_IN_FLIGHT);
  const units = countPacks(planDrain({
    files, manifests, confirmed, sentAlone,
    limits: { ...DEFAULT_PACK_LIMITS, ...deps.packLimits },
    keyOf: keysUnder(deps.prefix),
    gzip: deps.gzipPacks ?? false,
    read: (path) => deps.spool.read(path),
    waitForPackRoom: room.wait,
  }), room);

  const worker = async (): Promise<void> => {
    while (!pass.stoppedBy && !signal?.aborted) {
      const next = await units.next();
      if (next.done) return;
      try {
        // The pass may have stopped while this unit was being read: it stays for the next pass.
        if (!pass.stoppedBy && !signal?.aborted) await sendUnit(next.value, deps, pass, signal);
      } finally {
        if (next.value.kind === 'pack') room.leave();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, files.length + manifests.length) }, worker));

  const poison = await recordFailures(deps.store, pass.succeeded, pass.failures);
  const moved = await quarantinePoisonFiles(deps.spool, deps.logger, poison);
  pass.quarantined += moved.length;
  await forgetFailures(deps.store, moved);
  const remaining = (await deps.spool.dumpUsage()).files;
  const result: DrainResult = {
    uploaded: pass.uploaded, failed: pass.failed, remaining, objects: pass.objects, packs: pass.packs,
    ...(pass.quarantined ? { quarantined: pass.quarantined } : {}),
    ...(pass.stoppedBy ? { stoppedBy: pass.stoppedBy } : {}),
  };
  await recordPass(deps.store, result);
  if (pass.stoppedBy) await recordError(deps.store, 's3', pass.stoppedBy.code, pass.stoppedBy.message, pass.stoppedBy.hint);
  // The pass's one state write. Nothing here needs an earlier one: a crash before it loses only
  // counts (a refusal counted once less, an entry for a file already gone), never a record, and
  // dump files were remembered by the dedup before they reached dump/.
  await deps.store.save();
  logPass(deps.logger, result);
  return result;
}

async function sendUnit(unit: DrainUnit, deps: DrainDeps, pass: PassState, signal: AbortSignal | undefined): Promise<void> {
  if (unit.kind === 'single') return sendAlone(unit.file, deps, pass, signal);
  const send = { sink: deps.sink, spool: deps.spool, ...(signal ? { signal } : {}) };
  const files = unit.kind === 'pack' ? unit.files : unit.present;
  let delivery: PackDeliveryResult = unit.kind === 'pack' ? await deliverPack(unit, send) : await resumePack(unit, send);
  // S3 refused the pack for a reason of the object itself: as one object it never goes through.
  if (!delivery.ok && !delivery.abandoned && isFileSpecificRefusal(delivery.error)) delivery = await abandonPack(unit.manifest, deps.spool, 'refused');
  if (delivery.ok) {
    succeed(pass, files, delivery.uploaded);
    if (delivery.uploaded) pass.packs += 1;
    logPack(deps.logger, unit, files, delivery);
  } else if (delivery.abandoned) {
    logAbandoned(deps.logger, unit.manifest, delivery, files.length);
    // What is present goes now, each file under its own key; nothing of the pack was deleted.
    for (const file of files) {
      if (pass.stoppedBy || signal?.aborted) break;
      await sendAlone(file, deps, pass, signal);
    }
  } else if (!signal?.aborted) {
    fail(pass, files, delivery.error, false);
  }
}

async function sendAlone(file: SpooledFile, deps: DrainDeps, pass: PassState, signal: AbortSignal | undefined): Promise<void> {
  const delivery = await deliverSpooledFile(file, { sink: deps.sink, spool: deps.spool, prefix: deps.prefix, ...(signal ? { signal } : {}) });
  if (delivery.ok) {
    succeed(pass, [file], true);
    deps.logger.debug(LogEvents.dumpFileUploaded, { file: file.name, key: delivery.key });
  } else if (delivery.quarantined) {
    pass.quarantined += 1;
    pass.succeeded.push(file.name); // out of the dump: its failure count goes with it
    logQuarantined(deps.logger, { entry: delivery.quarantined.name, reason: delivery.quarantined.code, detail: delivery.quarantined.detail, folder: deps.spool.quarantine.dir });
  } else if (!signal?.aborted) {
    fail(pass, [file], delivery.error, true);
  }
}

function logAbandoned(logger: Logger, manifest: { name: string }, delivery: Extract<PackDeliveryResult, { ok: false }>, present: number): void {
  const fields = { pack: manifest.name, key: delivery.key, files: present };
  if (delivery.abandoned === 'missing') {
    logger.error(LogEvents.packMissingFiles, {
      ...fields, missing: delivery.missing?.length ?? 0, first_missing: delivery.missing?.[0],
    });
  } else if (delivery.abandoned === 'refused') {
    logger.warn(LogEvents.packRefused, { ...fields, error: delivery.error.code });
  } else {
    logger.error(LogEvents.packChanged, fields);
  }
}

function succeed(pass: PassState, files: SpooledFile[], uploaded: boolean): void {
  pass.uploaded += files.length;
  if (uploaded) pass.objects += 1;
  pass.failuresInARow = 0;
  for (const file of files) pass.succeeded.push(file.name);
}

function fail(pass: PassState, files: SpooledFile[], error: SinkError, alone: boolean): void {
  pass.failed += files.length;
  for (const file of files) pass.failures.set(file.name, { error, alone });
  // A refusal about this file says nothing about S3 as a whole: the files behind it keep going.
  if (isFileSpecificRefusal(error)) return;
  pass.failuresInARow += 1;
  if (!error.retryable || pass.failuresInARow >= MAX_FAILURES_IN_A_ROW) pass.stoppedBy ??= error;
}

function logPack(
  logger: Logger,
  unit: Exclude<DrainUnit, { kind: 'single' }>,
  files: SpooledFile[],
  delivery: { key: string; uploaded: boolean; cleanupError?: unknown },
): void {
  const fields = { key: delivery.key, files: files.length, records: unit.manifest.records, bytes: unit.manifest.bytes, first: files[0]?.name, last: files.at(-1)?.name };
  if (unit.kind === 'resume') {
    logger.info(delivery.uploaded
      // A manifest outlives any pass that did not finish its pack: a failed upload (an outage) as
      // much as a stop or crash; the message must be true for both.
      ? LogEvents.packResent
      : LogEvents.packAlreadyStored, fields);
  } else {
    logger.debug(LogEvents.packUploaded, fields);
  }
  if (delivery.cleanupError) {
    logger.warn(LogEvents.packCleanupFailed, {
      key: delivery.key,
      error: delivery.cleanupError instanceof Error ? delivery.cleanupError.message : String(delivery.cleanupError),
    });
  }
}

/** The planner reserves a pack's memory before reading it; a worker frees it when the pack is done. */
function createPackRoom(capacity: number) {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  return {
    enter() {
      inFlight += 1;
    },
    leave() {
      inFlight -= 1;
      const wake = waiters;
      waiters = [];
      for (const resolve of wake) resolve();
    },
    async wait(): Promise<void> {
      while (inFlight >= capacity) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

async function* countPacks(units: AsyncGenerator<DrainUnit>, room: { enter(): void }): AsyncGenerator<DrainUnit> {
  for await (const unit of units) {
    if (unit.kind === 'pack') room.enter();
    yield unit;
  }
}

/**
 * "Sent alone" notes whose file is gone (a crash between the delete and clearing the note). A
 * file only ever moves temp/ -> dump/, so checking temp/ first cannot miss one in transit.
 */
async function forgetStaleNotes(spool: Spool, files: SpooledFile[]): Promise<Set<string>> {
  const notes = await spool.journal.listSentAlone();
  const inDump = new Set(files.map((file) => file.name));
  for (const name of notes) {
    if (inDump.has(name) || (await exists(join(spool.tempDir, name))) || (await exists(join(spool.dumpDir, name)))) continue;
    await spool.journal.clearSentAlone(name);
    notes.delete(name);
  }
  return notes;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

function logPass(logger: Logger, result: DrainResult): void {
  const fields = { uploaded: result.uploaded, failed: result.failed, remaining: result.remaining, objects: result.objects, packs: result.packs };
  const stop = result.stoppedBy;
  if (!stop) {
    logger.info(LogEvents.passFinished, fields);
  } else if (stop.retryable) {
    logger.warn(LogEvents.passStoppedEarly, { ...fields, error: stop.code, detail: stop.message });
  } else {
    logger.error(LogEvents.passStoppedRefused, { ...fields, error: stop.code, detail: stop.message, fix: stop.hint });
  }
}
