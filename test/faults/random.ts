// A small seeded random source (mulberry32), so a campaign run can be replayed from its seed:
// the same seed gives the same sequence of fault choices and delays (the agent's own timing and
// the OS scheduler still vary, so a replay is close, not identical).
export interface Random {
  readonly seed: number;
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One of `items`, each with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  chance(probability: number): boolean;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    weighted(items) {
      const total = items.reduce((sum, [, weight]) => sum + weight, 0);
      let pick = next() * total;
      for (const [item, weight] of items) {
        pick -= weight;
        if (pick < 0) return item;
      }
      const last = items[items.length - 1];
      if (!last) throw new Error('weighted() needs at least one item');
      return last[0];
    },
    chance: (probability) => next() < probability,
  };
}
