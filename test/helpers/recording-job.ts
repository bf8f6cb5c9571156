// A scheduled job for the scheduler tests: records the wall time of each start on the manual clock.
import { sleep } from '../../agent/jobs/scheduler.ts';
import type { ManualClock } from './manual-clock.ts';

/** A job that records the wall time of each start and takes `busyMs` of the clock's time. */
export function recordingJob(clock: ManualClock, schedule: string, busyMs = 0, jitterSeconds = 0) {
  const starts: number[] = [];
  return {
    starts,
    job: {
      name: 'collect', schedule, jitterSeconds,
      run: async (signal: AbortSignal) => {
        starts.push(clock.now());
        if (busyMs > 0) await sleep(busyMs, signal, clock);
      },
    },
  };
}
