// The scheduler across a daylight saving change, on a manual clock. node-cron matches local time
// through an Intl formatter it creates on first use and keeps, so the zone is set before anything
// in this file matches a date (and put back after), in a file of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { startSchedules } from '../../agent/jobs/scheduler.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { createManualClock } from '../helpers/manual-clock.ts';
import { recordingJob } from '../helpers/recording-job.ts';

const zoneBefore = process.env.TZ;
process.env.TZ = 'America/New_York';
afterAll(() => {
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

const MINUTE = 60_000;

// node-cron matches local time, so daylight saving time is tested in a zone that has it: New
// York's clocks went back from 02:00 EDT to 01:00 EST on 2026-11-01 (06:00Z), so 01:00-01:59
// local happened twice (05:00-05:59Z and 06:00-06:59Z).
describe('scheduler across a daylight saving change (America/New_York)', () => {
  const MIDNIGHT_EDT = new Date('2026-11-01T04:00:00.500Z');
  const utc = (iso: string) => new Date(`2026-11-01T${iso}Z`).getTime();

  it('the zone is in effect (else the cases below prove nothing)', () => {
    expect(new Date(utc('05:30:00')).getHours()).toBe(1);
    expect(new Date(utc('06:30:00')).getHours()).toBe(1);
  });

  it('a fixed-time job runs once at a local time the clocks pass twice, with a debug line for the repeat', async () => {
    const clock = createManualClock(MIDNIGHT_EDT);
    const logger = createListLogger();
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '30 1 * * *');
    const schedules = startSchedules([job], logger, shutdown.signal, clock);
    await clock.advance(4 * 60 * MINUTE);
    expect(starts).toEqual([utc('05:30:00')]);
    expect(logger.lines.filter((line) => line.event === LogEvents.repeatedLocalTimeSkipped.name).map((line) => line.fields.local_time)).toEqual(['2026-11-1 1:30:0']);
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
    shutdown.abort();
    await schedules.stop();
  });

  it('a job with * in its minute or hour goes on by real time through the repeated hour', async () => {
    const clock = createManualClock(MIDNIGHT_EDT);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '*/15 * * * *');
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, clock);
    await clock.advance(4 * 60 * MINUTE);
    expect(starts).toHaveLength(16);
    expect(starts.filter((start) => new Date(start).getHours() === 1)).toHaveLength(8);
    shutdown.abort();
    await schedules.stop();
  });

  it('a fixed-time job still runs again after the clock itself is set back (that is not daylight saving)', async () => {
    const clock = createManualClock(MIDNIGHT_EDT);
    const shutdown = new AbortController();
    const { starts, job } = recordingJob(clock, '30 0 * * *');
    const schedules = startSchedules([job], createListLogger(), shutdown.signal, clock);
    await clock.advance(40 * MINUTE); // 00:40 EDT: ran at 00:30
    clock.stepWall(-20 * MINUTE); // 00:20 EDT
    await clock.advance(15 * MINUTE);
    expect(starts).toEqual([utc('04:30:00'), utc('04:30:00')]);
    shutdown.abort();
    await schedules.stop();
  });
});
