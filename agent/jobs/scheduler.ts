// Runs the agent's jobs on their cron schedules until the shutdown signal fires.
//
// - Each tick of a job waits a random jitter first (collection: so a fleet of agents on the same
//   schedule does not hit Open-Meteo in the same second), abortable by shutdown.
// - A job never overlaps itself: a tick that fires while the previous run is still busy is
//   skipped with a debug line. Collection and drain may run side by side (they touch different
//   files: drain only lists dump/ once at the start of its pass).
// - A job that throws is logged once and the schedule goes on; it never kills the process.
//
// Firing: node-cron (4.x) only says whether a second matches an expression (ScheduledTask.match,
// public API; its own next-run walker reads the real clock, so tests could not drive it). On each
// wake the scheduler looks at most WAKE_BOUND_MS ahead for the next matching second of any job
// and arms ONE timer for it, or for WAKE_BOUND_MS when none is that close. Timers run on the
// monotonic clock and each wake re-reads the wall clock, so an idle agent wakes once a minute
// and a step of the wall clock is seen at the next wake, at most a minute later. No watcher.
// What a step does (comparing the wall and monotonic time passed since the last wake):
// - Up to CLOCK_JUMP_TOLERANCE_MS either way: no warning, no slot run twice or skipped. After a
//   step back the armed slot waits until the wall clock reaches it; after a step forward it fires
//   when its timer (monotonic) ends, that much later than its time on the new wall clock.
// - More than that, forward or back: logged as a warning and the schedules restart from the new
//   time, as the old clock-jump watcher did: after a step forward the slots skipped over are not
//   made up (no flood of missed runs), the next slot after the new time runs; after a step back
//   the slots between the new time and the old one run again at their times (no run waits for
//   the clock to catch up, which is what node-cron alone did: nothing for hours).
// - A wake late by more than a slot (a busy process, no step seen) runs the armed slot once and
//   goes on from the current time: missed slots are not queued up. A machine resumed from
//   suspend looks like a step forward (Linux's monotonic clock stops while suspended), so there
//   the next slot after the new time runs, as after any step.
// Daylight saving time (node-cron matches local time fields) follows Vixie cron's rule (cron(8),
// "Daylight Saving Time and other time changes"): when the clocks go back, a job whose minute and
// hour fields are both fixed (`30 1 * * *`) runs once at the local time the clocks pass twice; a
// job with `*` in either (`*/15 * * * *`) goes on by real time. When they go forward, a fixed
// local time that does not exist that day (02:30) does not run that day: unlike Vixie cron,
// node-cron's matcher has no such instant to match (docs/configuration.md says so).
// Scanning: each wake walks seconds only from the last second already looked at, so an idle
// wake costs at most WAKE_BOUND_MS / 1 s matches, however sparse the schedules are.
import cron, { type ScheduledTask } from 'node-cron';
import { sleepOn, systemClock, type Clock } from '../clock.ts';
import type { Logger } from '../log/logger.ts';
import { LogEvents } from '../log/events.ts';

export interface ScheduledJob {
  name: string;
  schedule: string;
  jitterSeconds: number;
  run(signal: AbortSignal): Promise<unknown>;
}

export interface RunningSchedules {
  /**
   * Runs a job now, after up to `jitterSeconds` (default none), unless it is already running: the
   * same no-overlap rule as ticks. Resolves when that run (or the one already busy) has finished.
   */
  runNow(name: string, options?: { jitterSeconds?: number }): Promise<void>;
  /** Resolves when every job that is running has finished or given up after abort. */
  stop(): Promise<void>;
}

/** Waits `ms` (on the real clock unless one is given); resolves early when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return sleepOn(clock, ms, signal);
}

/** The longest the scheduler sleeps between two looks at the wall clock. */
export const WAKE_BOUND_MS = 60_000;
const CLOCK_JUMP_TOLERANCE_MS = 30_000;
const SECOND_MS = 1000;

/** How long a fired local time is remembered: longer than any daylight saving shift. */
const REPEAT_WINDOW_MS = 3 * 3_600_000;

interface Slotted {
  job: ScheduledJob;
  matcher: ScheduledTask;
  /** Minute and hour both fixed: runs once at a local time the clocks pass twice. */
  fixedTime: boolean;
  /** Local times (as written) this job fired at, with when, within REPEAT_WINDOW_MS. */
  firedLocalTimes: Map<string, number>;
}

/** Vixie cron's test: a field that starts with `*` (`*`, `*\/15`) is a wildcard. */
function isFixedTime(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  const [minute = '*', hour = '*'] = fields.length === 6 ? fields.slice(1) : fields;
  return !minute.startsWith('*') && !hour.startsWith('*');
}

function localTimeOf(date: Date): string {
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()} ${date.getHours()}:${date.getMinutes()}:${date.getSeconds()}`;
}

/** False for a fixed-time job at a local time it already ran at, earlier (the clocks went back). */
function isFirstAtLocalTime(slotted: Slotted, slot: Date): boolean {
  if (!slotted.fixedTime) return true;
  const at = slot.getTime();
  for (const [local, firedAt] of slotted.firedLocalTimes) if (at - firedAt > REPEAT_WINDOW_MS) slotted.firedLocalTimes.delete(local);
  const local = localTimeOf(slot);
  const earlier = slotted.firedLocalTimes.get(local);
  if (earlier !== undefined && earlier < at) return false;
  slotted.firedLocalTimes.set(local, at);
  return true;
}

/** The first whole second after `after` and at most `until` at which some job is due. */
function findNextSlot(slotted: Slotted[], after: number, until: number): number | undefined {
  for (let second = Math.floor(after / SECOND_MS) * SECOND_MS + SECOND_MS; second <= until; second += SECOND_MS) {
    const date = new Date(second);
    if (slotted.some(({ matcher }) => matcher.match(date))) return second;
  }
  return undefined;
}

export function startSchedules(jobs: ScheduledJob[], logger: Logger, signal: AbortSignal, clock: Clock = systemClock): RunningSchedules {
  const running = new Map<string, Promise<void>>();
  // Never started: used only to match dates, so node-cron arms no timer of its own.
  const slotted: Slotted[] = jobs.map((job) => ({
    job,
    matcher: cron.createTask(job.schedule, () => undefined, { name: job.name }),
    fixedTime: isFixedTime(job.schedule),
    firedLocalTimes: new Map(),
  }));

  const tick = (job: ScheduledJob, jitterSeconds: number): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    const busy = running.get(job.name);
    if (busy) {
      logger.debug(LogEvents.tickSkipped, { job: job.name });
      return busy;
    }
    const run = (async () => {
      if (jitterSeconds > 0) await sleepOn(clock, Math.random() * jitterSeconds * 1000, signal);
      if (signal.aborted) return;
      try {
        await job.run(signal);
      } catch (error) {
        if (!signal.aborted) {
          logger.error(LogEvents.jobFailed, {
            job: job.name,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    })().finally(() => running.delete(job.name));
    running.set(job.name, run);
    return run;
  };

  let lastWall = clock.now();
  let lastMonotonic = clock.monotonic();
  /** Slots up to this wall time have fired or been given up. */
  let doneUntil = lastWall;
  let armed: number | undefined;
  /** The last wall time the latest scan looked at and found no slot up to (before `armed`). */
  let scannedClearUntil = doneUntil;
  let cancel: (() => void) | undefined;

  const arm = (): void => {
    if (signal.aborted) return;
    const wall = clock.now();
    const until = wall + WAKE_BOUND_MS;
    armed = findNextSlot(slotted, doneUntil, until);
    scannedClearUntil = armed === undefined ? until : armed - 1;
    cancel = clock.setTimer(armed === undefined ? WAKE_BOUND_MS : armed - wall, wake);
  };

  function wake(): void {
    const wall = clock.now();
    const monotonic = clock.monotonic();
    const drift = wall - lastWall - (monotonic - lastMonotonic);
    lastWall = wall;
    lastMonotonic = monotonic;
    if (Math.abs(drift) > CLOCK_JUMP_TOLERANCE_MS) {
      logger.warn(LogEvents.clockJumped, { jump_seconds: Math.round(drift / 1000) });
      doneUntil = wall;
      for (const entry of slotted) entry.firedLocalTimes.clear();
    } else if (armed !== undefined && wall >= armed) {
      const slot = new Date(armed);
      for (const entry of slotted) {
        if (!entry.matcher.match(slot)) continue;
        if (isFirstAtLocalTime(entry, slot)) void tick(entry.job, entry.job.jitterSeconds);
        else logger.debug(LogEvents.repeatedLocalTimeSkipped, { job: entry.job.name, local_time: localTimeOf(slot) });
      }
      doneUntil = Math.max(armed, wall);
    } else {
      // No slot due yet: what the last scan found clear need not be scanned again.
      doneUntil = Math.max(doneUntil, Math.min(wall, scannedClearUntil));
    }
    arm();
  }

  arm();
  const disarm = (): void => cancel?.();
  signal.addEventListener('abort', disarm, { once: true });

  return {
    runNow(name, options) {
      const job = jobs.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`no scheduled job named ${name}`);
      return tick(job, options?.jitterSeconds ?? 0);
    },
    async stop() {
      disarm();
      signal.removeEventListener('abort', disarm);
      await Promise.all(slotted.map(({ matcher }) => matcher.destroy()));
      await Promise.all(running.values());
    },
  };
}
