// The stand-in's clock. Real Open-Meteo moves to a new 15-minute value four times an hour; at one
// cycle per second the agent would see the same observation hundreds of times and write it once.
// This clock normally runs 900 times faster (one new 15-minute slot per real second), so almost
// every cycle carries new observations and a few minutes give hundreds of records to account for.
// `jumpSlots` moves it forward or back by whole slots: the source's clock jumping.
// `holdRealSpeed` runs it at real speed for a while: the slot then stays unchanged for every poll
// in that time, as it does at a real site, where the agent must write the value once and then go
// on writing the next slot's value (a dedup that suppresses longer than one slot loses data).
// The agent refuses observations more than a few minutes ahead of its own clock, so the fast clock
// starts `lagMs` in the past: the campaign passes enough lag that it never overtakes real time.
const SLOT_MS = 15 * 60 * 1000;
export const SOURCE_CLOCK_SPEED = 900;
const FAST = SOURCE_CLOCK_SPEED;

export interface SourceClock {
  now(): Date;
  jumpSlots(slots: number): void;
  /** Real speed (1x) for `ms` of real time, then fast again; continuous, never backwards. */
  holdRealSpeed(ms: number): void;
  readonly jumps: number;
}

export function createSourceClock(start = Date.now(), lagMs = 0, realNow: () => number = Date.now): SourceClock {
  // now = base + (real - anchor) * speed + jump offset; re-anchored at every speed change.
  let anchorReal = start;
  let anchorSource = start;
  let speed = FAST;
  let fastAgainAt = Infinity;
  let offsetMs = -lagMs;
  let jumps = 0;
  const reanchor = (real: number, newSpeed: number) => {
    anchorSource += (real - anchorReal) * speed;
    anchorReal = real;
    speed = newSpeed;
  };
  const sourceMs = () => {
    const real = realNow();
    if (real >= fastAgainAt) {
      reanchor(fastAgainAt, FAST);
      fastAgainAt = Infinity;
    }
    return anchorSource + (real - anchorReal) * speed + offsetMs;
  };
  return {
    now: () => new Date(sourceMs()),
    jumpSlots(slots) {
      offsetMs += slots * SLOT_MS;
      jumps += 1;
    },
    holdRealSpeed(ms) {
      sourceMs();
      const real = realNow();
      reanchor(real, 1);
      fastAgainAt = real + ms;
    },
    get jumps() {
      return jumps;
    },
  };
}
