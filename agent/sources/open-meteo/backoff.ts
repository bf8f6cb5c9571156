// Remembers when Open-Meteo last told us to slow down (HTTP 429 or 503) and until when the source
// must not call it again. Failed calls count against the free API's budget, so while the gate is
// closed the source answers with failed results without sending anything.
//
// Lifecycle: one gate per source instance, so the state lives as long as the agent process. A
// Retry-After header sets the wait, up to 15 min; without one the wait starts at 60 s and doubles
// with every further throttle, up to 30 min. A longer Retry-After (a proxy or CDN answering
// "31536000") gets the 15 min cap or the agent's own doubling, whichever is longer, so no server
// can stop polling for more than 30 min at a time. Open-Meteo itself sends no Retry-After, only a
// reason such as "try again in the next hour" (open-meteo/open-meteo
// Sources/App/Helper/Vapor/RateLimiter.swift). Any success opens the gate and resets the doubling.
//
// Which layer retries (the Open-Meteo path): none inside a cycle. A failed call is not repeated
// (source.ts: it counts against the API budget); the collect schedule (open_meteo.schedule, a
// cron expression) is the one retry layer, polling every location again at the next run. This
// gate only holds the next runs back after a throttle; it never sends a call of its own.
import { SourceError } from '../../errors.ts';

export const FIRST_BACKOFF_SECONDS = 60;
export const MAX_BACKOFF_SECONDS = 30 * 60;
/** The longest wait a server may impose with Retry-After; beyond it the agent's own back-off decides. */
export const MAX_RETRY_AFTER_SECONDS = 15 * 60;

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
  const own = Math.min(FIRST_BACKOFF_SECONDS * 2 ** Math.max(0, consecutiveThrottles - 1), MAX_BACKOFF_SECONDS);
  if (retryAfterSeconds === undefined) return own;
  if (retryAfterSeconds <= MAX_RETRY_AFTER_SECONDS) return retryAfterSeconds;
  return Math.max(MAX_RETRY_AFTER_SECONDS, own);
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
