// Remembers when Open-Meteo last told us to slow down (HTTP 429 or 503) and until when the source
// must not call it again. Failed calls count against the free API's budget, so while the gate is
// closed the source answers with failed results without sending anything.
//
// Lifecycle: one gate per source instance, so the state lives as long as the agent process. A
// Retry-After header sets the wait; without one the wait starts at 60 s and doubles with every
// further throttle, up to 30 min. Any successful response opens the gate and resets the doubling.
import { SourceError } from '../../errors.ts';

export const FIRST_BACKOFF_SECONDS = 60;
export const MAX_BACKOFF_SECONDS = 30 * 60;
/** A Retry-After beyond a day is more likely a server bug than an intent; don't stall longer. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

export interface BackoffGate {
  /** The error to report instead of calling, or undefined when a call may go out at `now`. */
  check(now: Date): SourceError | undefined;
  /** Records a 429/503 answer; returns the time before which no call may go out. */
  recordThrottle(error: SourceError, now: Date): Date;
  recordSuccess(): void;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP-date), or undefined if absent/invalid. */
export function parseRetryAfter(header: string | string[] | undefined, now: Date): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Only an HTTP-date (which names a weekday and month) counts; Date.parse accepts far more.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

export function backoffSeconds(consecutiveThrottles: number, retryAfterSeconds: number | undefined): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
  const doubled = FIRST_BACKOFF_SECONDS * 2 ** Math.max(0, consecutiveThrottles - 1);
  return Math.min(doubled, MAX_BACKOFF_SECONDS);
}

export function createBackoffGate(): BackoffGate {
  let consecutiveThrottles = 0;
  let notBefore: Date | undefined;
  let cause: SourceError | undefined;

  return {
    check(now) {
      if (!notBefore || !cause || now.getTime() >= notBefore.getTime()) return undefined;
      const remainingSeconds = Math.ceil((notBefore.getTime() - now.getTime()) / 1000);
      const why = cause.kind === 'rate-limited' ? 'rate limit' : 'service overloaded';
      return new SourceError(
        cause.kind,
        `Skipped the Open-Meteo request: backing off after HTTP ${cause.status ?? '?'} (${why}) until ${notBefore.toISOString()}.`,
        { cause, retryAfterSeconds: remainingSeconds, ...(cause.status === undefined ? {} : { status: cause.status }) },
      );
    },
    recordThrottle(error, now) {
      consecutiveThrottles += 1;
      const seconds = backoffSeconds(consecutiveThrottles, error.retryAfterSeconds);
      notBefore = new Date(now.getTime() + seconds * 1000);
      cause = error;
      return notBefore;
    },
    recordSuccess() {
      consecutiveThrottles = 0;
      notBefore = undefined;
      cause = undefined;
    },
  };
}
