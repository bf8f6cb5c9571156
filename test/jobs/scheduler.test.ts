// The scheduler on a manual clock: every wait below is simulated time, so the file runs in
// milliseconds and clock steps are tested here rather than only by the libfaketime campaign.
import { describe, expect, it } from 'vitest';
import { sleep, startSchedules, WAKE_BOUND_MS } from '../../agent/jobs/scheduler.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { createManualClock, settle, type ManualClock } from '../helpers/manual-clock.ts';
import { recordingJob } from '../helpers/recording-job.ts';

const START = new Date('2026-11-21T10:00:00.500Z');
const at = (iso: string) => new Date(`2026-11-21T${iso}Z`).getTime();
const MINUTE = 60_000;

/** The clock, counting the timers armed on it (the scheduler arms one per wake). */
function countingTimers(clock: ManualClock): ManualClock & { armed(): number } {
  let armed = 0;
  return { ...clock, setTimer: (ms, fire) => ((armed += 1), clock.setTimer(ms, fire)), armed: () => armed };
}

describe('scheduler', () => {
  it('never overlaps a job with itself, keeps going after a failure, and waits for the running job on stop', async () => {
    const clock = createManualClock(START);
    const logger = createListLogger();
    const shutdown = new AbortController();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const schedules = startSchedules([{
      name: 'slow',
      schedule: '* * * * * *',
      jitterSeconds: 0,
      run: async (signal) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        runs += 1;
        await sleep(1_500, signal, clock);
        active -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
    }], logger, shutdown.signal, clock);
    await clock.advance(5_500);
    shutdown.abort();
    await schedules.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(active).toBe(0);
    expect(logger.lines.some((line) => line.level === 'error' && line.fields.error === 'first run fails')).toBe(true);
    expect(logger.lines.some((line) => line.event === LogEvents.tickSkipped.name)).toBe(true);
  });

  it('runs a job at once on request, unless it is already running', async () => {
    const clock = createManualClock(START);
    const shutdown = new AbortController();
    let runs = 0;
    const schedules = startSchedules([{
      name: 'drain', schedule: '0 0 1 1 *', jitterSeconds: 3600,
      run: async (signal) => {
        runs += 1;
        await sleep(300, signal, clock);
      },
    }], createListLogger(), shutdown.signal, clock);
    void schedules.runNow('drain');
    void schedules.runNow('drain');
    await clock.advance(100);
    expect(runs).toBe(1);
    await clock.advance(400);
    void schedules.runNow('drain');
    await clock.advance(100);
    expect(runs).toBe(2);
    shutdown.abort();
    await schedules.stop();
    expect(() => schedules.runNow('nope')).toThrow(/no scheduled job named nope/);
  });

  it('runNow resolves when the run has finished (also a run already busy), after at most its jitter', async () => {
    const clock = createManualClock(START);
    const shutdown = new AbortController();
    const finished: string[] = [];
    const schedules = startSchedules(['drain', 'collect'].map((name) => ({
      name, schedule: '0 0 1 1 *', jitterSeconds: 3600,
      run: async (signal: AbortSignal) => {
        await sleep(200, signal, clock);
        finished.push(name);
      },
    })), createListLogger(), shutdown.signal, clock);
    const first = schedules.runNow('drain');
    const again = schedules.runNow('drain');
    await clock.advance(200);
    await again;
    expect(finished).toEqual(['drain']);
    await first;
    const startedAt = clock.now();
    let resolvedAt: number | undefined;
    const collect = schedules.runNow('collect', { jitterSeconds: 0.5 }).then(() => (resolvedAt = clock.now()));
    for (let step = 0; step < 30 && resolvedAt === undefined; step += 1) await clock.advance(50);
    await collect;
    expect(finished).toEqual(['drain', 'collect']);
    // At most the 0.5 s jitter plus the 0.2 s run (and one 50 ms step of the test's clock).
    expect((resolvedAt ?? Number.POSITIVE_INFINITY) - startedAt).toBeLessThanOrEqual(750);
    shutdown.abort();
    await schedules.stop();
  });

  it('fires each slot once, on time, by the wall clock', async () => {
    const clock = createManualClock(START);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '*/15 * * * *');
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, clock);
    await clock.advance(46 * MINUTE);
    expect(starts).toEqual([at('10:15:00'), at('10:30:00'), at('10:45:00')]);
    shutdown.abort();
    await schedules.stop();
  });

  it('after the clock steps forward: warns, makes up no skipped slot, and runs the next slot after the new time', async () => {
    const clock = createManualClock(START);
    const logger = createListLogger();
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '*/15 * * * *');
    const schedules = startSchedules([job], logger, shutdown.signal, clock);
    await clock.advance(20 * MINUTE); // 10:20:00.5
    clock.stepWall(2 * 60 * MINUTE); // 12:20:00.5
    await clock.advance(WAKE_BOUND_MS);
    expect(starts).toEqual([at('10:15:00')]);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings.map((line) => [line.event, line.fields.jump_seconds])).toEqual([
      [LogEvents.clockJumped.name, 7200],
    ]);
    await clock.advance(10 * MINUTE);
    expect(starts).toEqual([at('10:15:00'), at('12:30:00')]);
    shutdown.abort();
    await schedules.stop();
  });

  it('after the clock steps back: warns and runs the next slot after the new time, not after the old one', async () => {
    const clock = createManualClock(START);
    const logger = createListLogger();
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '*/15 * * * *');
    const schedules = startSchedules([job], logger, shutdown.signal, clock);
    await clock.advance(20 * MINUTE); // 10:20:00.5
    clock.stepWall(-60 * MINUTE); // 09:20:00.5
    await clock.advance(11 * MINUTE); // 09:31:00.5
    expect(starts).toEqual([at('10:15:00'), at('09:30:00')]);
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.fields.jump_seconds)).toEqual([-3600]);
    shutdown.abort();
    await schedules.stop();
  });

  it('ignores a small step: a slot already run does not run again, and none is skipped', async () => {
    const clock = createManualClock(START);
    const logger = createListLogger();
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '* * * * *');
    const schedules = startSchedules([job], logger, shutdown.signal, clock);
    await clock.advance(MINUTE); // 10:01:00.5, ran 10:01
    clock.stepWall(-10_000); // 10:00:50.5
    await clock.advance(2 * MINUTE); // 10:02:50.5
    clock.stepWall(10_000); // 10:03:00.5: the timer for 10:03 still has 9.5 s of real time to go
    await clock.advance(10_000);
    expect(starts).toEqual([at('10:01:00'), at('10:02:00'), at('10:03:10')]);
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
    shutdown.abort();
    await schedules.stop();
  });

  it('waits a jitter of less than jitter_seconds before each tick', async () => {
    const clock = createManualClock(START);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '* * * * *', 0, 30);
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, clock);
    await clock.advance(40 * MINUTE + 30_000);
    expect(starts).toHaveLength(40);
    const delays = starts.map((start, index) => start - (at('10:01:00') + index * MINUTE));
    expect(delays.every((delay) => delay >= 0 && delay < 30_000)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(1);
    shutdown.abort();
    await schedules.stop();
  });

  it('abandons a jitter wait at shutdown without running the job', async () => {
    const clock = createManualClock(START);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '0 0 1 1 *', 0, 3600);
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, clock);
    const pending = schedules.runNow('collect', { jitterSeconds: 3600 });
    await clock.advance(10);
    shutdown.abort();
    await pending;
    await schedules.stop();
    expect(starts).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('skips a tick while the previous run is busy, with one debug line, and runs the one after', async () => {
    const clock = createManualClock(START);
    const logger = createListLogger();
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '* * * * *', 90_000);
    const schedules = startSchedules([job], logger, shutdown.signal, clock);
    await clock.advance(3 * MINUTE);
    expect(starts).toEqual([at('10:01:00'), at('10:03:00')]);
    expect(logger.lines.filter((line) => line.event === LogEvents.tickSkipped.name).map((line) => line.fields)).toEqual([{ job: 'collect' }]);
    shutdown.abort();
    await schedules.stop();
  });

  it('wakes at most once a minute while idle, and leaves no timer after shutdown', async () => {
    const clock = createManualClock(START);
    const counting = countingTimers(clock);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '0 0 1 1 *');
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, counting);
    await clock.advance(10 * MINUTE);
    expect(starts).toEqual([]);
    expect(counting.armed()).toBe(11); // the first arm and one per minute since
    shutdown.abort();
    await settle();
    expect(clock.pendingTimers()).toBe(0);
    await schedules.stop();
  });

  it('runs a daily job on time after a day of idle wakes: each wake looks only at the minute ahead', async () => {
    // An idle wake once rescanned every second since the last slot: a day of that is ~60 million
    // matches (minutes of CPU here, and on an agent a longer stall each minute); now it is ~86,400.
    const clock = createManualClock(START);
    const counting = countingTimers(clock);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '0 9 * * *');
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, counting);
    await clock.advance(24 * 60 * MINUTE);
    const nineLocal = new Date(START);
    nineLocal.setHours(9, 0, 0, 0);
    if (nineLocal.getTime() <= START.getTime()) nineLocal.setDate(nineLocal.getDate() + 1);
    expect(starts).toEqual([nineLocal.getTime()]);
    expect(counting.armed()).toBeLessThanOrEqual(24 * 60 + 2);
    shutdown.abort();
    await schedules.stop();
  }, 60_000);
});
