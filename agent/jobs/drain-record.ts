// What a drain pass writes to state/status.json: per-file failure counts (with the file-specific
// refusals that make a poison file) and the pass summary `status` shows as "Last retry". Each
// function changes the store's copy only; drain.ts writes it once, at the end of the pass.
import type { SinkError } from '../errors.ts';
import { isFileSpecificRefusal } from '../sinks/s3/file-specific-errors.ts';
import type { DumpFileFailures, StatusStore } from '../state/status-store.ts';
import type { DrainResult } from './drain.ts';

/** Per-file failure counts; returns the failing files' records (for the poison check). */
export async function recordFailures(
  store: StatusStore,
  succeeded: string[],
  failures: Map<string, { error: SinkError; alone: boolean }>,
): Promise<[string, DumpFileFailures][]> {
  const at = new Date().toISOString();
  const counted: [string, DumpFileFailures][] = [];
  await store.change((state) => {
    for (const name of succeeded) delete state.dumpFailures[name];
    for (const [name, { error, alone }] of failures) {
      const previous = state.dumpFailures[name];
      // Only a refusal of the file sent alone is the file's own fault (a pack's is the pack's).
      const refusals = (previous?.refusals ?? 0) + (alone && isFileSpecificRefusal(error) ? 1 : 0);
      const record: DumpFileFailures = { attempts: (previous?.attempts ?? 0) + 1, lastAttemptAt: at, lastError: error.code, ...(refusals ? { refusals } : {}) };
      state.dumpFailures[name] = record;
      counted.push([name, record]);
    }
  });
  return counted;
}

export async function forgetFailures(store: StatusStore, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await store.change((state) => {
    for (const name of names) delete state.dumpFailures[name];
  });
}

export async function recordPass(store: StatusStore, result: DrainResult): Promise<void> {
  await store.change((state) => {
    state.lastDrain = {
      at: new Date().toISOString(),
      uploaded: result.uploaded,
      failed: result.failed,
      remaining: result.remaining,
      ...(result.quarantined ? { quarantined: result.quarantined } : {}),
      ...(result.stoppedBy ? { stoppedBy: result.stoppedBy.code } : {}),
    };
  });
}
