// One collection cycle: Open-Meteo -> envelope records -> one NDJSON file in temp/ -> S3.
//
// The cycle file always carries one agent_status record, even when every location failed, so the
// warehouse can tell a silent site from a site whose source is failing. When the dump has reached
// max_dump_mb the cycle is skipped (an error line each time) instead of deleting anything; it
// resumes by itself once drains free space.
//
// State (state/status.json) is written at most twice per cycle: once when the cycle file is
// durable in temp/ and holds new observations (the observation dedup must be on disk before the
// file can leave temp/: the upload deletes it, a failure moves it to the dump; a crash before that
// write leaves the file in temp/, where recover-temp.ts rebuilds the dedup from it), and once at
// the end with the cycle's summary, outcomes and errors.
import type { AgentConfig } from '../config/types.ts';
import { buildAgentStatus, buildObservation, toNdjson, type AgentIdentity, type EnvelopeRecord, type LocationOutcome } from '../envelope/records.ts';
import type { Logger } from '../log/logger.ts';
import { SourceError } from '../errors.ts';
import { MAX_FUTURE_SECONDS, type LocationResult, type OpenMeteoSource } from '../sources/open-meteo/index.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import { cycleFileName, parseSpoolFileName } from '../spool/file-names.ts';
import type { DumpUsage, Spool } from '../spool/spool.ts';
import type { CycleSummary, LocationState, StatusStore } from '../state/status-store.ts';
import { deliverSpooledFile } from './deliver.ts';
import { logQuarantined } from './drain-quarantine.ts';
import { alreadyWritten, rememberObservedAt } from './observation-memory.ts';
import { recordError } from './record-error.ts';
import { LogEvents } from '../log/events.ts';

export interface CollectDeps {
  config: AgentConfig;
  source: OpenMeteoSource;
  sink: S3Sink;
  spool: Spool;
  store: StatusStore;
  logger: Logger;
  identity: AgentIdentity;
  now?: () => Date;
}

/** The stored summary plus what only the caller needs. */
export interface CycleResult extends CycleSummary {
  /** Ids of the locations that failed this cycle, in config order. */
  failedLocations: string[];
  /** Observations newer than the last ones written (unchanged values are not written again). */
  newObservations?: number;
}

const MEGABYTE = 1024 * 1024;

export async function runCollectCycle(deps: CollectDeps, signal?: AbortSignal): Promise<CycleResult> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const usage = await deps.spool.dumpUsage();
  if (usage.bytes >= deps.config.storage.maxDumpMb * MEGABYTE) return skipForFullDump(deps, usage, startedAt, now());

  const results = await fetchGuarded(deps, signal);
  const state = await deps.store.read();
  const firstFailure = results.find((result) => !result.ok);
  // In the copy only: written with the cycle file's observations or at the end of the cycle.
  if (firstFailure && !firstFailure.ok) {
    await recordError(deps.store, 'open-meteo', firstFailure.error.kind, firstFailure.error.message);
  }
  const { records, outcomes } = buildCycleRecords(deps, results, {
    startedAt,
    collectedAt: now(),
    usage,
    locationState: (id) => state.locations[id],
    lastErrorClass: (firstFailure && !firstFailure.ok ? firstFailure.error.kind : state.lastError?.errorClass) ?? null,
  });

  const body = Buffer.from(toNdjson(records));
  const name = cycleFileName(deps.config.customer.id, startedAt, body);
  const path = await deps.spool.writeTemp(name, body);
  await rememberObservations(deps.store, records, now());
  const file = { ...parseSpoolFileName(name)!, path };
  const delivery = await deliverSpooledFile(file, { sink: deps.sink, spool: deps.spool, prefix: deps.config.s3.prefix, signal });
  // A quarantined file (it did not read back as written) is already out of temp/.
  if (!delivery.ok && !delivery.quarantined) await deps.spool.moveToDump(path);

  const locationsOk = outcomes.filter((o) => o.outcome === 'ok').length;
  const finishedAt = now();
  const result: CycleResult = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    outcome: locationsOk === outcomes.length ? 'ok' : locationsOk === 0 ? 'failed' : 'partial',
    locationsOk,
    locationsFailed: outcomes.length - locationsOk,
    file: name,
    delivery: delivery.ok ? 'uploaded' : 'dumped',
    failedLocations: outcomes.filter((o) => o.outcome === 'failed').map((o) => o.id),
    newObservations: records.filter((record) => record.record_type === 'observation').length,
  };
  await recordCycle(deps.store, result, outcomes, delivery.ok ? delivery.key : undefined);
  if (!delivery.ok) await recordError(deps.store, 's3', delivery.error.code, delivery.error.message, delivery.error.hint);
  await deps.store.save();
  if (!delivery.ok) {
    if (delivery.quarantined) logQuarantined(deps.logger, { entry: delivery.quarantined.name, reason: delivery.quarantined.code, detail: delivery.quarantined.detail, folder: deps.spool.quarantine.dir });
    else logUploadFailure(deps.logger, name, delivery.error);
  }
  const backlog = await deps.spool.dumpUsage();
  deps.logger.info(LogEvents.cycleFinished, {
    ok: result.locationsOk,
    failed: result.locationsFailed,
    failed_ids: result.failedLocations.join(',') || undefined,
    file: name,
    delivery: result.delivery,
    backlog_files: backlog.files,
    backlog_mb: (backlog.bytes / MEGABYTE).toFixed(2),
  });
  return result;
}

/**
 * One observation per location that succeeded with a value newer than the last one written, and
 * the cycle's agent_status record, which lists every location's outcome.
 */
function buildCycleRecords(
  deps: CollectDeps,
  results: LocationResult[],
  cycle: { startedAt: Date; collectedAt: Date; usage: DumpUsage; locationState: (locationId: string) => LocationState | undefined; lastErrorClass: string | null },
): { records: EnvelopeRecord[]; outcomes: LocationOutcome[] } {
  const records: EnvelopeRecord[] = [];
  const outcomes: LocationOutcome[] = [];
  for (const result of results) {
    if (!result.ok) {
      outcomes.push({ id: result.location.id, outcome: 'failed', error_class: result.error.kind });
      continue;
    }
    // Polled again before the source had a newer value: that record was already written.
    if (alreadyWritten(result.observedAt, cycle.locationState(result.location.id))) {
      outcomes.push({ id: result.location.id, outcome: 'ok' });
      continue;
    }
    // One location's odd answer (a time no Date can hold, a value nested too deep to serialise)
    // fails that location only; the others and the agent_status record are still written.
    try {
      const record = buildObservation({
        customerId: deps.config.customer.id,
        location: result.location,
        observedAt: result.observedAt,
        collectedAt: cycle.collectedAt,
        agent: deps.identity,
        payload: result.payload,
      });
      JSON.stringify(record);
      records.push(record);
      outcomes.push({ id: result.location.id, outcome: 'ok' });
    } catch (error) {
      deps.logger.error(LogEvents.observationNotWritten, {
        location: result.location.id, error: error instanceof Error ? error.message : String(error),
      });
      outcomes.push({ id: result.location.id, outcome: 'failed', error_class: 'bad-body' });
    }
  }
  records.push(buildAgentStatus({
    customerId: deps.config.customer.id,
    cycleStartedAt: cycle.startedAt,
    collectedAt: cycle.collectedAt,
    agent: deps.identity,
    locations: outcomes,
    dumpBacklog: { files: cycle.usage.files, bytes: cycle.usage.bytes, oldest_at: cycle.usage.oldest?.toISOString() ?? null },
    lastErrorClass: cycle.lastErrorClass,
  }));
  return { records, outcomes };
}

/**
 * Called once the cycle file is durable: from now on these observations count as written. The
 * write is the one crash safety needs before the file may leave temp/; a file of no observation
 * (only the agent_status record) has nothing to remember, and its cycle writes once, at the end.
 */
async function rememberObservations(store: StatusStore, records: EnvelopeRecord[], now: Date): Promise<void> {
  const observations = records.filter((record) => record.record_type === 'observation');
  if (observations.length === 0) return;
  const latest = now.getTime() + MAX_FUTURE_SECONDS * 1000;
  await store.update((state) => {
    for (const record of observations) rememberObservedAt((state.locations[record.location.id] ??= {}), record.observed_at, latest);
  });
}

/**
 * The source's results; never throws but for shutdown. A source bug (an answer it did not expect)
 * fails every location of this cycle instead of skipping the cycle, so its agent_status is written.
 */
async function fetchGuarded(deps: CollectDeps, signal: AbortSignal | undefined): Promise<LocationResult[]> {
  try {
    return await deps.source.fetchCurrent(deps.config.locations, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    deps.logger.error(LogEvents.answerUnreadable, { error: detail });
    const failure = new SourceError('bad-body', `The agent could not read the Open-Meteo answer (${detail.slice(0, 200)}).`, { cause: error });
    return deps.config.locations.map((location) => ({ location, ok: false as const, error: failure }));
  }
}

function logUploadFailure(logger: Logger, name: string, error: { retryable: boolean; code: string; message: string; hint?: string }): void {
  if (error.retryable) {
    logger.warn(LogEvents.uploadFailed, { file: name, error: error.code, detail: error.message });
  } else {
    logger.error(LogEvents.uploadRefused, { file: name, error: error.code, detail: error.message, fix: error.hint });
  }
}

async function skipForFullDump(deps: CollectDeps, usage: DumpUsage, startedAt: Date, finishedAt: Date): Promise<CycleResult> {
  const reason = `dump folder holds ${(usage.bytes / MEGABYTE).toFixed(1)} MB, at or above storage.max_dump_mb = ${deps.config.storage.maxDumpMb}`;
  deps.logger.error(LogEvents.collectionPaused, {
    dump_files: usage.files,
    dump_mb: (usage.bytes / MEGABYTE).toFixed(1),
    max_dump_mb: deps.config.storage.maxDumpMb,
  });
  await recordError(deps.store, 'collect', 'DumpFull', reason);
  const result: CycleResult = {
    startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), outcome: 'skipped', locationsOk: 0, locationsFailed: 0, delivery: 'none', reason, failedLocations: [],
  };
  await recordCycle(deps.store, result, [], undefined);
  await deps.store.save();
  return result;
}

/** The cycle's summary and per-location outcomes, in the store's copy (the caller saves). */
async function recordCycle(store: StatusStore, result: CycleResult, outcomes: LocationOutcome[], uploadedKey: string | undefined): Promise<void> {
  const { failedLocations: _failed, newObservations: _new, ...summary } = result;
  const at = result.finishedAt;
  await store.change((state) => {
    state.lastCycle = summary;
    for (const outcome of outcomes) {
      const location = (state.locations[outcome.id] ??= {});
      if (outcome.outcome === 'ok') location.lastSuccessAt = at;
      else {
        location.lastFailureAt = at;
        location.lastError = outcome.error_class;
      }
    }
    if (uploadedKey) state.lastUpload = { at, key: uploadedKey };
  });
}
