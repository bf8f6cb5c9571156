import { describe, expect, it } from 'vitest';
import { sleep, startSchedules } from '../../agent/jobs/scheduler.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { LogEvents } from '../../agent/log/events.ts';

describe('scheduler', () => {
  it('never overlaps a job with itself, keeps going after a failure, and waits for the running job on stop', async () => {
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
        await sleep(1_500, signal);
        active -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
    }], logger, shutdown.signal);
    await sleep(5_500, new AbortController().signal);
    shutdown.abort();
    await schedules.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(active).toBe(0);
    expect(logger.lines.some((line) => line.level === 'error' && line.fields.error === 'first run fails')).toBe(true);
    expect(logger.lines.some((line) => line.event === LogEvents.tickSkipped.name)).toBe(true);
  });

  it('runs a job at once on request, unless it is already running', async () => {
    const shutdown = new AbortController();
    let runs = 0;
    const schedules = startSchedules([{
      name: 'drain', schedule: '0 0 1 1 *', jitterSeconds: 3600,
      run: async (signal) => {
        runs += 1;
        await sleep(300, signal);
      },
    }], createListLogger(), shutdown.signal);
    void schedules.runNow('drain');
    void schedules.runNow('drain');
    await sleep(100, new AbortController().signal);
    expect(runs).toBe(1);
    await sleep(400, new AbortController().signal);
    void schedules.runNow('drain');
    await sleep(100, new AbortController().signal);
    expect(runs).toBe(2);
    shutdown.abort();
    await schedules.stop();
    expect(() => schedules.runNow('nope')).toThrow(/no scheduled job named nope/);
  });

  it('runNow resolves when the run has finished (also a run already busy), after at most its jitter', async () => {
    const shutdown = new AbortController();
    const finished: string[] = [];
    const schedules = startSchedules(['drain', 'collect'].map((name) => ({
      name, schedule: '0 0 1 1 *', jitterSeconds: 3600,
      run: async (signal: AbortSignal) => {
        await sleep(200, signal);
        finished.push(name);
      },
    })), createListLogger(), shutdown.signal);
    const first = schedules.runNow('drain');
    const again = schedules.runNow('drain');
    await again;
    expect(finished).toEqual(['drain']);
    await first;
    const startedAt = Date.now();
    await schedules.runNow('collect', { jitterSeconds: 0.5 });
    expect(finished).toEqual(['drain', 'collect']);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    shutdown.abort();
    await schedules.stop();
  });
});
