// The campaign's source clock must never run backwards when its speed changes, and a real-speed
// hold must keep the 15-minute slot unchanged for the whole hold.
import { describe, expect, it } from 'vitest';
import { createSourceClock } from './source-clock.ts';

describe('createSourceClock', () => {
  it('runs 900x, holds real speed for a while, then runs fast again without going backwards', () => {
    let real = 1_000_000;
    const clock = createSourceClock(real, 0, () => real);
    real += 1000;
    expect(clock.now().getTime()).toBe(1_000_000 + 900_000);
    clock.holdRealSpeed(60_000);
    const held = clock.now().getTime();
    real += 30_000;
    expect(clock.now().getTime()).toBe(held + 30_000);
    real += 40_000; // 10 s past the end of the hold: 30 s more at 1x, then 10 s at 900x
    expect(clock.now().getTime()).toBe(held + 60_000 + 10_000 * 900);
  });

  it('moves by whole slots on a jump', () => {
    const real = 0;
    const clock = createSourceClock(real, 0, () => real);
    clock.jumpSlots(-2);
    expect(clock.now().getTime()).toBe(-2 * 15 * 60 * 1000);
    expect(clock.jumps).toBe(1);
  });
});
