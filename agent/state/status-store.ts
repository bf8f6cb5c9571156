// What `status` shows support staff: a small JSON file, state/status.json, rewritten atomically
// (temp name, fsync, rename) after each step, so a reader or a crash never sees half a file.
// It holds facts about the past (last cycle, per-location outcomes, last upload, last error,
// per-file failure counts); live facts (dump size) are measured when `status` runs.
// Every message stored here has already passed through the logger's redaction rules: callers
// store error codes and sentences, never request data.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactText } from '../log/redact.ts';
import { writeFileDurably } from '../spool/durable-fs.ts';

export interface CycleSummary {
  startedAt: string;
  finishedAt: string;
  outcome: 'ok' | 'partial' | 'failed' | 'skipped';
  locationsOk: number;
  locationsFailed: number;
  file?: string;
  delivery: 'uploaded' | 'dumped' | 'none';
  reason?: string;
}

export interface LocationState {
  /** observed_at of the newest observation written to a cycle file: an unchanged value polled
   *  again is not written a second time (it would be the same record under a second key). */
  lastObservedAt?: string;
  /** Epoch seconds of the observations written most recently (at most a dozen, newest last). */
  recentObservedAt?: number[];
  lastSuccessAt?: string;
  lastFailureAt?: string;
  lastError?: string;
}

export interface ErrorRecord {
  at: string;
  component: string;
  errorClass: string;
  message: string;
  hint?: string;
}

export interface DumpFileFailures {
  attempts: number;
  lastAttemptAt: string;
  lastError: string;
  /** Of the attempts, refusals about the file itself (sinks/s3/file-specific-errors.ts): at
   *  POISON_FILE_LIMIT the file is quarantined. */
  refusals?: number;
}

export interface AgentState {
  stateVersion: 1;
  agentVersion: string;
  pid?: number;
  startedAt?: string;
  lastCycle?: CycleSummary;
  locations: Record<string, LocationState>;
  lastUpload?: { at: string; key: string };
  lastDrain?: { at: string; uploaded: number; failed: number; remaining: number; quarantined?: number; stoppedBy?: string };
  lastError?: ErrorRecord;
  dumpFailures: Record<string, DumpFileFailures>;
}

export interface StatusStore {
  readonly file: string;
  read(): Promise<AgentState>;
  /** Applies `change` to the current state and writes it atomically. Calls are serialised. */
  update(change: (state: AgentState) => void): Promise<AgentState>;
}

export function emptyState(agentVersion: string): AgentState {
  return { stateVersion: 1, agentVersion, locations: {}, dumpFailures: {} };
}

export function createStatusStore(storageDir: string, agentVersion: string): StatusStore {
  const dir = join(storageDir, 'state');
  const file = join(dir, 'status.json');
  let queue: Promise<unknown> = Promise.resolve();

  const read = async (): Promise<AgentState> => {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as AgentState;
      return { ...emptyState(agentVersion), ...parsed, agentVersion };
    } catch (error) {
      // No file yet, or a corrupt one (a disk fault): status starts afresh rather than failing.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) {
        return emptyState(agentVersion);
      }
      throw error;
    }
  };

  const write = async (state: AgentState): Promise<void> => {
    await mkdir(dir, { recursive: true });
    // Durable with its directory entry: otherwise a power cut could bring back the old
    // status.json, and with it an observation dedup that forgot a file.
    await writeFileDurably(file, redactText(JSON.stringify(state, null, 2)) + '\n', { partialPath: `${file}.${process.pid}.tmp`, what: 'the status file' });
  };

  return {
    file,
    read,
    update(change) {
      const next = queue.then(async () => {
        const state = await read();
        change(state);
        await write(state);
        return state;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
