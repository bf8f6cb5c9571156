// Files stranded in temp/: a crash, a full disk or any failure between "the cycle file is durable"
// and "its upload finished or it moved to the dump". Picked up at start-up and again before every
// collect cycle, so a long-running `run` does not wait for a restart to send them.
//
// The observation dedup (state/status.json: the observation times written per location) is
// written after the cycle file, so such a failure can leave a file whose observations the state
// does not know. Polled again, the same values would be written into a second file under a second
// key. The files themselves are the journal: before a stranded file moves to the dump, its
// observations are remembered in the state exactly as a finished cycle remembers its own
// (observation-memory.ts). Files reach dump/ only
// through here or after that state write succeeded, so temp/ is the only place to look.
import type { Logger } from '../log/logger.ts';
import type { Spool } from '../spool/spool.ts';
import { MAX_FUTURE_SECONDS } from '../sources/open-meteo/index.ts';
import type { StatusStore } from '../state/status-store.ts';
import { rememberObservedAt } from './observation-memory.ts';
import { LogEvents } from '../log/events.ts';

export async function recoverStrandedTemp(deps: { spool: Spool; store: StatusStore; logger: Logger }): Promise<void> {
  const { moved, removedPartials } = await deps.spool.recoverTemp((paths) => rememberObservationsIn(paths, deps.spool, deps.store));
  if (moved.length > 0) {
    deps.logger.warn(LogEvents.tempRecovered, { files: moved.length });
  }
  if (removedPartials.length > 0) {
    deps.logger.warn(LogEvents.partialsRemoved, { files: removedPartials.length });
  }
}

/** Every observation in `paths`, remembered as written (in file order, oldest file first). */
async function rememberObservationsIn(paths: string[], spool: Spool, store: StatusStore): Promise<void> {
  const observations: { locationId: string; observedAt: string }[] = [];
  for (const path of paths) {
    // A file the agent must not read (a link, damaged bytes) holds nothing to remember; the
    // drain quarantines it once it is in the dump.
    const body = await spool.read(path).catch(() => undefined);
    if (body) observations.push(...observationsIn(body));
  }
  if (observations.length === 0) return;
  const latest = Date.now() + MAX_FUTURE_SECONDS * 1000;
  await store.update((state) => {
    for (const { locationId, observedAt } of observations) rememberObservedAt((state.locations[locationId] ??= {}), observedAt, latest);
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
