// Files stranded in temp/: a crash, a full disk or any failure between "the cycle file is durable"
// and "its upload finished or it moved to the dump". Picked up at start-up and again before every
// collect cycle, so a long-running `run` does not wait for a restart to send them.
//
// The observation dedup (state/status.json: the newest observed_at written per location) is
// written after the cycle file, so such a failure can leave a file whose observations the state
// does not know. Polled again, the same values would be written into a second file under a second
// key. The files themselves are the journal: before a stranded file moves to the dump, its
// observations are merged into the state (never lowering a stored time). Files reach dump/ only
// through here or after that state write succeeded, so temp/ is the only place to look.
import type { Logger } from '../log/logger.ts';
import type { Spool } from '../spool/spool.ts';
import type { StatusStore } from '../state/status-store.ts';

export async function recoverStrandedTemp(deps: { spool: Spool; store: StatusStore; logger: Logger }): Promise<void> {
  const { moved, removedPartials } = await deps.spool.recoverTemp((paths) => rememberObservationsIn(paths, deps.spool, deps.store));
  if (moved.length > 0) {
    deps.logger.warn('Files left in temp/ by an interrupted run were moved to the dump; they will be uploaded.', { files: moved.length });
  }
  if (removedPartials.length > 0) {
    deps.logger.warn('Incomplete files from an interrupted write were removed (they were never acknowledged).', { files: removedPartials.length });
  }
}

/** The newest observed_at per location in `paths`, merged into the state. */
async function rememberObservationsIn(paths: string[], spool: Spool, store: StatusStore): Promise<void> {
  const newest = new Map<string, string>();
  for (const path of paths) {
    // A file the agent must not read (a link, damaged bytes) holds nothing to remember; the
    // drain quarantines it once it is in the dump.
    const body = await spool.read(path).catch(() => undefined);
    if (!body) continue;
    for (const { locationId, observedAt } of observationsIn(body)) {
      const known = newest.get(locationId);
      if (!known || Date.parse(observedAt) > Date.parse(known)) newest.set(locationId, observedAt);
    }
  }
  if (newest.size === 0) return;
  await store.update((state) => {
    for (const [locationId, observedAt] of newest) {
      const location = (state.locations[locationId] ??= {});
      const stored = location.lastObservedAt ? Date.parse(location.lastObservedAt) : Number.NaN;
      if (Number.isNaN(stored) || Date.parse(observedAt) > stored) location.lastObservedAt = observedAt;
    }
  });
}

function* observationsIn(body: Buffer): Generator<{ locationId: string; observedAt: string }> {
  for (const line of body.toString('utf8').split('\n')) {
    if (!line) continue;
    let record: { record_type?: unknown; location?: { id?: unknown }; observed_at?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    if (record.record_type !== 'observation' || typeof record.location?.id !== 'string' || typeof record.observed_at !== 'string') continue;
    if (Number.isNaN(Date.parse(record.observed_at))) continue;
    yield { locationId: record.location.id, observedAt: record.observed_at };
  }
}
