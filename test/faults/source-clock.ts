// The stand-in's clock. Real Open-Meteo moves to a new 15-minute value four times an hour; at one
// cycle per second the agent would see the same observation hundreds of times and write it once.
// This clock runs 900 times faster (one new 15-minute slot per real second), so almost every
// cycle carries new observations and a few minutes give hundreds of records to account for.
// `jumpSlots` moves it forward or back by whole slots: the source's clock jumping.
// The agent refuses observations more than a few minutes ahead of its own clock, so the fast clock
// starts `lagMs` in the past: the campaign passes enough lag that it never overtakes real time.
const SLOT_MS = 15 * 60 * 1000;
export const SOURCE_CLOCK_SPEED = 900;
const SPEED = SOURCE_CLOCK_SPEED;

export interface SourceClock {
  now(): Date;
  jumpSlots(slots: number): void;
  readonly jumps: number;
}

export function createSourceClock(start = Date.now(), lagMs = 0): SourceClock {
  let offsetMs = -lagMs;
  let jumps = 0;
  return {
    now: () => new Date(start + (Date.now() - start) * SPEED + offsetMs),
    jumpSlots(slots) {
      offsetMs += slots * SLOT_MS;
      jumps += 1;
    },
    get jumps() {
      return jumps;
    },
  };
}
