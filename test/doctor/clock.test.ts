// The clock verdict: S3 rejects more than 15 minutes of skew (FAIL); a minute is worth a WARN;
// the Date header's 1 s resolution and the round trip are not counted as skew.
import { describe, expect, it } from 'vitest';
import { checkClock, CLOCK_FAIL_MS, CLOCK_WARN_MS } from '../../agent/doctor/clock.ts';

describe('checkClock', () => {
  it.each([
    [0, 'PASS'],
    [900, 'PASS'], // within the measurement's uncertainty
    [CLOCK_WARN_MS + 5_000, 'WARN'],
    [-(CLOCK_WARN_MS + 5_000), 'WARN'],
    [CLOCK_FAIL_MS + 5_000, 'FAIL'],
    [-(CLOCK_FAIL_MS + 5_000), 'FAIL'],
  ])('judges an offset of %d ms as %s', (offsetMs, status) => {
    expect(checkClock([{ host: 'h:1', offsetMs, uncertaintyMs: 1_000 }]).status).toBe(status);
  });

  it('judges by the worst server and skips when none answered', () => {
    const result = checkClock([{ host: 'a', offsetMs: 0, uncertaintyMs: 500 }, { host: 'b', offsetMs: 20 * 60_000, uncertaintyMs: 500 }]);
    expect(result.status).toBe('FAIL');
    expect(result.detail).toContain('behind');
    expect(checkClock([]).status).toBe('SKIP');
  });
});
