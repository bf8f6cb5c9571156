// How often a 5- or 6-field cron expression fires within one day: enough to know what a schedule
// spends of a daily and hourly budget. Only the second, minute and hour fields matter for that;
// day, month and weekday fields only pick which days run, and a day that runs runs the same times.
// (node-cron validates expressions but cannot list or count their runs.)

export interface DailyRuns {
  /** Runs in one day that runs at all. */
  perDay: number;
  /** The most runs in any one clock hour. */
  maxPerHour: number;
  /** The shortest time between two runs, in seconds (86,400 for one run a day). */
  minGapSeconds: number;
}

/** The values one cron field allows, or undefined when the field cannot be read. */
export function expandField(text: string, min: number, max: number): number[] | undefined {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|\?|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part.trim());
    if (!match) return undefined;
    const [, start, end, step] = match;
    const wild = start === '*' || start === '?';
    const from = wild ? min : Number(start);
    const to = end !== undefined ? Number(end) : wild || step !== undefined ? max : from;
    const by = step === undefined ? 1 : Number(step);
    if (from < min || to > max || from > to || by < 1) return undefined;
    for (let value = from; value <= to; value += by) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** Runs per day of a cron expression, or undefined when its time fields cannot be read. */
export function countDailyRuns(expression: string): DailyRuns | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return undefined;
  const [secondText, minuteText, hourText] = fields.length === 6 ? fields : ['0', ...fields];
  const seconds = expandField(secondText ?? '', 0, 59);
  const minutes = expandField(minuteText ?? '', 0, 59);
  const hours = expandField(hourText ?? '', 0, 23);
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
