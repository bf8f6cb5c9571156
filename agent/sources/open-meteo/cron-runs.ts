// How often a 5- or 6-field cron expression fires within one day: enough to know what a schedule
// spends of a daily and hourly budget. Only the second, minute and hour fields matter for that;
// day, month and weekday fields only pick which days run, and a day that runs runs the same times.
// The fields are read by node-cron's parse (public API), the same parser that validates and
// runs the schedule, so the estimate and the runs cannot disagree on what an expression means.
import cron from 'node-cron';

export interface DailyRuns {
  /** Runs in one day that runs at all. */
  perDay: number;
  /** The most runs in any one clock hour. */
  maxPerHour: number;
  /** The shortest time between two runs, in seconds (86,400 for one run a day). */
  minGapSeconds: number;
}

/** Runs per day of a cron expression, or undefined when its time fields cannot be read. */
export function countDailyRuns(expression: string): DailyRuns | undefined {
  let fields: ReturnType<typeof cron.parse>;
  try {
    fields = cron.parse(expression);
  } catch {
    return undefined;
  }
  const [seconds, minutes, hours] = [fields.second, fields.minute, fields.hour].map((values) => [...new Set(values)].sort((a, b) => a - b));
  if (!seconds || !minutes || !hours) return undefined;
  const times: number[] = [];
  for (const hour of hours) for (const minute of minutes) for (const second of seconds) times.push(hour * 3600 + minute * 60 + second);
  let minGapSeconds = 86_400;
  times.forEach((time, index) => {
    const next = index + 1 < times.length ? (times[index + 1] ?? time) : (times[0] ?? time) + 86_400;
    if (next !== time) minGapSeconds = Math.min(minGapSeconds, next - time);
  });
  return { perDay: times.length, maxPerHour: minutes.length * seconds.length, minGapSeconds };
}
