// Runs the agent's jobs on their cron schedules until the shutdown signal fires.
//
// - Each tick of a job waits a random jitter first (collection: so a fleet of agents on the same
//   schedule does not hit Open-Meteo in the same second), abortable by shutdown.
// - A job never overlaps itself: a tick that fires while the previous run is still busy is
//   skipped with a debug line. Collection and drain may run side by side (they touch different
//   files: drain only lists dump/ once at the start of its pass).
// - A job that throws is logged once and the schedule goes on; it never kills the process.
// - A jump of the system clock restarts the schedules (see watchClockJumps).
import cron, { type ScheduledTask } from 'node-cron';
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

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const CLOCK_CHECK_MS = 10_000;
const CLOCK_JUMP_TOLERANCE_MS = 30_000;

/**
 * node-cron follows the wall clock: after the clock is set back it fires nothing until the clock
 * reaches the old time again, and after a jump forward it spends its time reporting missed runs.
 * (NTP corrections after a suspend, a technician fixing a wrong clock.) Comparing the wall clock
 * with the monotonic one every few seconds finds such jumps, so the schedules can start afresh.
 */
function watchClockJumps(onJump: (jumpSeconds: number) => Promise<void>): NodeJS.Timeout {
  let wall = Date.now();
  let monotonic = performance.now();
  return setInterval(() => {
    const drift = Date.now() - wall - (performance.now() - monotonic);
    wall = Date.now();
    monotonic = performance.now();
    if (Math.abs(drift) > CLOCK_JUMP_TOLERANCE_MS) void onJump(Math.round(drift / 1000));
  }, CLOCK_CHECK_MS);
}

export function startSchedules(jobs: ScheduledJob[], logger: Logger, signal: AbortSignal): RunningSchedules {
  const running = new Map<string, Promise<void>>();
  const tasks: ScheduledTask[] = [];

  const tick = (job: ScheduledJob, jitterSeconds: number): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    const busy = running.get(job.name);
    if (busy) {
      logger.debug(LogEvents.tickSkipped, { job: job.name });
      return busy;
    }
    const run = (async () => {
      if (jitterSeconds > 0) await sleep(Math.random() * jitterSeconds * 1000, signal);
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

  const scheduleAll = (): void => {
    for (const job of jobs) tasks.push(cron.schedule(job.schedule, () => void tick(job, job.jitterSeconds), { name: job.name, noOverlap: false }));
  };
  scheduleAll();
  const clockWatch = watchClockJumps(async (jumpSeconds) => {
    logger.warn(LogEvents.clockJumped, { jump_seconds: jumpSeconds });
    await Promise.all(tasks.splice(0).map((task) => task.destroy()));
    if (!signal.aborted) scheduleAll();
  });

  return {
    runNow(name, options) {
      const job = jobs.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`no scheduled job named ${name}`);
      return tick(job, options?.jitterSeconds ?? 0);
    },
    async stop() {
      clearInterval(clockWatch);
      await Promise.all(tasks.map((task) => task.destroy()));
      await Promise.all(running.values());
    },
  };
}
