// What `status` shows support staff: a small JSON file, state/status.json, rewritten atomically
// (temp name, fsync, rename), so a reader or a crash never sees half a file. It holds facts about
// the past (last cycle, per-location outcomes, last upload, last error, per-file failure counts);
// live facts (dump size) are measured when `status` runs. It also holds what correctness depends
// on: the observation dedup and the drain's per-file failure counts.
//
// The process that runs the jobs owns one store (jobs/runtime.ts): the file is read once, the
// copy in memory is the truth for that process, and each step changes the copy and writes it once
// at its end (save); collect.ts and recover-temp.ts say which extra write crash safety needs.
// Other processes (`status`, the support bundle) only read the file.
// Every message stored here has already passed through the logger's redaction rules: callers
// store error codes and sentences, never request data.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactText } from '../log/redact.ts';
import { writeFileDurably } from '../spool/durable-fs.ts';

/** The last collect cycle as stored; jobs/collect.ts's CycleResult is this plus what only the
 *  caller needs. */
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

/** The last dump retry pass as stored (jobs/drain.ts's DrainResult carries more). */
export interface DrainSummary {
  at: string;
  /** Dump files S3 confirmed in the pass, alone or inside a pack. */
  uploaded: number;
  /** Dump files whose upload (alone or in a pack) failed in the pass. */
  failed: number;
  remaining: number;
  /** Entries moved to the quarantine folder in the pass (only present when there were some). */
  quarantined?: number;
  /** The error code that stopped the pass early, if one did. */
  stoppedBy?: string;
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
  lastDrain?: DrainSummary;
  lastError?: ErrorRecord;
  dumpFailures: Record<string, DumpFileFailures>;
}

export interface StatusStore {
  readonly file: string;
  /** This process's copy: read from the file on first use, then kept in memory. Change it only
   *  through change() or update(), so that save() knows there is something to write. */
  read(): Promise<Readonly<AgentState>>;
  /** Applies `change` to the copy in memory; nothing is written until save(). */
  change(change: (state: AgentState) => void): Promise<AgentState>;
  /** Writes the copy atomically if it changed since the last write. Writes are serialised; a
   *  failed one leaves the change pending, so the next save() writes it. */
  save(): Promise<void>;
  /** change() then save(). */
  update(change: (state: AgentState) => void): Promise<AgentState>;
}

export function emptyState(agentVersion: string): AgentState {
  return { stateVersion: 1, agentVersion, locations: {}, dumpFailures: {} };
}

export function createStatusStore(storageDir: string, agentVersion: string): StatusStore {
  const dir = join(storageDir, 'state');
  const file = join(dir, 'status.json');
  let queue: Promise<unknown> = Promise.resolve();
  let copy: Promise<AgentState> | undefined;
  let unsaved = false;

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

  // A failed read (EACCES, EIO) is not kept: the next call reads the file again.
  const load = (): Promise<AgentState> => (copy ??= read().catch((error: unknown) => {
    copy = undefined;
    throw error;
  }));

  const change = async (apply: (state: AgentState) => void): Promise<AgentState> => {
    const state = await load();
    apply(state);
    unsaved = true;
    return state;
  };

  const save = (): Promise<void> => {
    const next = queue.then(async () => {
      if (!unsaved) return;
      const state = await load();
      // Cleared before the write: a change made while it is in flight needs a write of its own.
      unsaved = false;
      try {
        await write(state);
      } catch (error) {
        unsaved = true;
        throw error;
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    file,
    read: load,
    change,
    save,
    async update(apply) {
      const state = await change(apply);
      await save();
      return state;
    },
  };
}
