// A clock the test moves by hand: nothing waits on real time. advance() moves both clocks forward
// and fires the timers that fall due, in order, letting the code they wake run between them;
// stepWall() moves only the wall clock, as NTP or a person setting the time does.
import type { Clock } from '../../agent/clock.ts';

interface Timer { due: number; seq: number; fire: () => void }

export interface ManualClock extends Clock {
  /** Moves both clocks forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): Promise<void>;
  /** Steps the wall clock by `ms` (negative: back) without moving the monotonic clock. */
  stepWall(ms: number): void;
  /** Timers armed and not yet fired or cancelled. */
  pendingTimers(): number;
}

/** Lets promise chains and I/O callbacks started by a fired timer run to their next wait. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

export function createManualClock(startWall: Date | number): ManualClock {
  let wall = typeof startWall === 'number' ? startWall : startWall.getTime();
  let monotonic = 0;
  let seq = 0;
  const timers = new Set<Timer>();
  const nextDue = (limit: number): Timer | undefined =>
    [...timers].filter((timer) => timer.due <= limit).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];

  return {
    now: () => wall,
    monotonic: () => monotonic,
    setTimer(ms, fire) {
      const timer = { due: monotonic + Math.max(0, ms), seq: (seq += 1), fire };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    async advance(ms) {
      const target = monotonic + ms;
      await settle();
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        wall += timer.due - monotonic;
        monotonic = timer.due;
        timers.delete(timer);
        timer.fire();
        await settle();
      }
      wall += target - monotonic;
      monotonic = target;
      await settle();
    },
    stepWall(ms) {
      wall += ms;
    },
    pendingTimers: () => timers.size,
  };
}
