// The stand-in's clock. Real Open-Meteo moves to a new 15-minute value four times an hour; at one
// cycle per second the agent would see the same observation hundreds of times and write it once.
// This clock runs 900 times faster (one new 15-minute slot per real second), so almost every
// cycle carries new observations and a few minutes give hundreds of records to account for.
// `jumpSlots` moves it forward or back by whole slots: the source's clock jumping.
const SLOT_MS = 15 * 60 * 1000;
const SPEED = 900;

export interface SourceClock {
  now(): Date;
  jumpSlots(slots: number): void;
  readonly jumps: number;
}

export function createSourceClock(start = Date.now()): SourceClock {
  let offsetMs = 0;
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
