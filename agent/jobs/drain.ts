// One dump retry pass: every file in dump/, oldest cycle first, a few uploads at a time.
//
// A pass stops early, leaving the rest for the next pass, when S3 refuses in a way that a retry
// cannot fix (wrong credentials, missing bucket: every file would fail the same way and support
// staff need one clear error line, not thousands), or after several failures in a row (S3 is down:
// no point timing out on every file). A single bad file does not block the ones behind it.
// Nothing leaves dump/ unless S3 confirmed it.
import type { SinkError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { S3Sink } from '../sinks/s3/sink.ts';
import type { Spool, SpooledFile } from '../spool/spool.ts';
import type { StatusStore } from '../state/status-store.ts';
import { deliverSpooledFile } from './deliver.ts';
import { recordError } from './record-error.ts';

export interface DrainDeps {
  sink: S3Sink;
  spool: Spool;
  store: StatusStore;
  logger: Logger;
  prefix: string;
  /** Uploads in flight at once. */
  concurrency?: number;
}

export interface DrainResult {
  uploaded: number;
  failed: number;
  remaining: number;
  /** Why the pass stopped before trying every file, if it did. */
  stoppedBy?: SinkError;
}

const DEFAULT_CONCURRENCY = 8;
const MAX_FAILURES_IN_A_ROW = 3;

export async function drainDump(deps: DrainDeps, signal?: AbortSignal): Promise<DrainResult> {
  const files = await deps.spool.listDump();
  if (files.length === 0) return { uploaded: 0, failed: 0, remaining: 0 };
  deps.logger.info('Dump retry pass started.', { files: files.length });

  const pass = { next: 0, uploaded: 0, failed: 0, failuresInARow: 0, stoppedBy: undefined as SinkError | undefined };
  const failures = new Map<string, SinkError>();
  const succeeded: string[] = [];

  const worker = async (): Promise<void> => {
    while (!pass.stoppedBy && !signal?.aborted && pass.next < files.length) {
      const file = files[pass.next++] as SpooledFile;
      const delivery = await deliverSpooledFile(file, { sink: deps.sink, spool: deps.spool, prefix: deps.prefix, signal });
      if (delivery.ok) {
        pass.uploaded += 1;
        pass.failuresInARow = 0;
        succeeded.push(file.name);
        deps.logger.debug('Dump file uploaded.', { file: file.name, key: delivery.key });
        continue;
      }
      if (signal?.aborted) return; // Shutdown interrupted the upload: not a failure of the file.
      pass.failed += 1;
      pass.failuresInARow += 1;
      failures.set(file.name, delivery.error);
      if (!delivery.error.retryable || pass.failuresInARow >= MAX_FAILURES_IN_A_ROW) pass.stoppedBy ??= delivery.error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, files.length) }, worker));

  const remaining = (await deps.spool.dumpUsage()).files;
  await recordPass(deps.store, succeeded, failures, { uploaded: pass.uploaded, failed: pass.failed, remaining, stoppedBy: pass.stoppedBy });
  logPass(deps.logger, { uploaded: pass.uploaded, failed: pass.failed, remaining, stoppedBy: pass.stoppedBy });
  if (pass.stoppedBy) await recordError(deps.store, 's3', pass.stoppedBy.code, pass.stoppedBy.message, pass.stoppedBy.hint);
  return { uploaded: pass.uploaded, failed: pass.failed, remaining, ...(pass.stoppedBy ? { stoppedBy: pass.stoppedBy } : {}) };
}

function logPass(logger: Logger, result: DrainResult): void {
  const fields = { uploaded: result.uploaded, failed: result.failed, remaining: result.remaining };
  const stop = result.stoppedBy;
  if (!stop) {
    logger.info('Dump retry pass finished.', fields);
  } else if (stop.retryable) {
    logger.warn('Dump retry pass stopped early: S3 is not reachable or failing; files stay in the dump and are retried on the retry schedule.', { ...fields, error: stop.code, detail: stop.message });
  } else {
    logger.error('Dump retry pass stopped: S3 refused the upload. Files stay in the dump until this is fixed.', { ...fields, error: stop.code, detail: stop.message, fix: stop.hint });
  }
}

async function recordPass(
  store: StatusStore,
  succeeded: string[],
  failures: Map<string, SinkError>,
  result: DrainResult,
): Promise<void> {
  const at = new Date().toISOString();
  await store.update((state) => {
    for (const name of succeeded) delete state.dumpFailures[name];
    for (const [name, error] of failures) {
      const previous = state.dumpFailures[name];
      state.dumpFailures[name] = { attempts: (previous?.attempts ?? 0) + 1, lastAttemptAt: at, lastError: error.code };
    }
    state.lastDrain = {
      at,
      uploaded: result.uploaded,
      failed: result.failed,
      remaining: result.remaining,
      ...(result.stoppedBy ? { stoppedBy: result.stoppedBy.code } : {}),
    };
  });
}
