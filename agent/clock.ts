// The agent's view of time, injected so that tests drive it in milliseconds (as Telegraf's
// agent/tick.go takes a clock). Two clocks, because they fail differently: the wall clock says
// which cron slot it is and may be stepped by NTP or a person at any moment; timers run on the
// monotonic clock, which never steps (Node's setTimeout is monotonic), so a wait is always as long
// as asked. Production uses systemClock; tests use test/helpers/manual-clock.ts.

export interface Clock {
  /** Wall-clock time in ms since the epoch (Date.now()): may step forward or back. */
  now(): number;
  /** Monotonic ms since an arbitrary origin (performance.now()): never steps. */
  monotonic(): number;
  /** Calls `fire` once after `ms` of monotonic time; returns a function that cancels it. */
  setTimer(ms: number, fire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(ms, fire) {
    const timer = setTimeout(fire, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** Waits `ms` on `clock`; resolves early (never rejects) when `signal` aborts. */
export function sleepOn(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const cancel = clock.setTimer(ms, done);
    function done(): void {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
