// The observation dedup in state/status.json, in one place: what "this observation was written"
// means for a location. Used when a cycle file becomes durable (collect.ts) and when a file a
// crash left in temp/ is recovered (recover-temp.ts); both must remember the same way, or a
// recovered observation the source serves again (its clock stepped back) is written a second
// time under a new key.
import type { LocationState } from '../state/status-store.ts';

/** How many written observation times each location remembers: enough for a source that
 *  flaps between slots or jumps back a few, small enough for status.json with 1,000 locations. */
export const REMEMBERED_OBSERVATIONS = 12;

/**
 * Notes `observedMs` as written for `location`. A time after `latestMs` (ahead of the clock) is
 * never remembered, and lastObservedAt (shown by status) is the newest time not ahead of it,
 * replacing one an older version stored from a bad answer.
 */
export function rememberObservedAt(location: LocationState, observedIso: string, latestMs: number): void {
  const observedMs = new Date(observedIso).getTime();
  if (!(observedMs <= latestMs)) return;
  const recent = (Array.isArray(location.recentObservedAt) ? location.recentObservedAt : []).filter((seconds) => seconds !== observedMs / 1000);
  location.recentObservedAt = [...recent, observedMs / 1000].slice(-REMEMBERED_OBSERVATIONS);
  const previousMs = location.lastObservedAt ? new Date(location.lastObservedAt).getTime() : Number.NaN;
  if (!(previousMs <= latestMs) || observedMs > previousMs) location.lastObservedAt = observedIso;
}

/**
 * Whether this very observation (same location and time, so the same record_id) was written by
 * an earlier cycle. Only an exact match counts: a remembered time can never hold back any other
 * value, however wrong it was (a 2099 time stored by an older version suppresses nothing), and an
 * older value that was never written is written.
 */
export function alreadyWritten(observedAt: Date, location: LocationState | undefined): boolean {
  if (!location) return false;
  const seconds = observedAt.getTime() / 1000;
  if (Array.isArray(location.recentObservedAt) && location.recentObservedAt.includes(seconds)) return true;
  return location.lastObservedAt !== undefined && new Date(location.lastObservedAt).getTime() === observedAt.getTime();
}
