import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../agent/errors.ts';
import { backoffSeconds, createBackoffGate, parseRetryAfter } from '../../../agent/sources/open-meteo/backoff.ts';

const NOW = new Date('2026-11-21T10:00:00Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120],
    [' 0 ', 0],
    ['Sat, 21 Nov 2026 10:01:30 GMT', 90],
    ['Sat, 21 Nov 2026 09:00:00 GMT', 0],
    [['45', '90'], 45],
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
  ] as const)('reads %j as %j seconds', (header, expected) => {
    expect(parseRetryAfter(header as string | string[] | undefined, NOW)).toBe(expected);
  });
});

describe('backoffSeconds', () => {
  it('doubles from 60 s up to 30 min without Retry-After', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffSeconds(n, undefined))).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800]);
  });

  it('uses Retry-After when present, up to 15 min', () => {
    expect(backoffSeconds(5, 10)).toBe(10);
    expect(backoffSeconds(1, 900)).toBe(900);
  });

  it('caps a longer Retry-After (31536000) at 15 min, then lets the own doubling take over up to 30 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffSeconds(n, 31_536_000))).toEqual([900, 900, 900, 900, 960, 1800, 1800]);
  });
});

describe('createBackoffGate', () => {
  const throttle = (retryAfterSeconds?: number) =>
    new SourceError('rate-limited', 'limit', { status: 429, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });

  it('is open until a throttle, closed until its time, then open again', () => {
    const gate = createBackoffGate();
    expect(gate.check(NOW)).toBeUndefined();
    expect(gate.recordThrottle(throttle(), NOW).toISOString()).toBe(later(60).toISOString());
    const blocked = gate.check(later(20));
    expect(blocked).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterSeconds: 40 });
    expect(blocked?.message).toContain(`until ${later(60).toISOString()}`);
    expect(gate.check(later(60))).toBeUndefined();
  });

  it('keeps the kind of the answer that closed it, and success resets the doubling', () => {
    const gate = createBackoffGate();
    gate.recordThrottle(new SourceError('unavailable', 'overloaded', { status: 503 }), NOW);
    expect(gate.check(NOW)?.kind).toBe('unavailable');
    expect(gate.recordThrottle(throttle(), later(60)).toISOString()).toBe(later(180).toISOString());
    gate.recordSuccess();
    expect(gate.check(later(61))).toBeUndefined();
    expect(gate.recordThrottle(throttle(), later(200)).toISOString()).toBe(later(260).toISOString());
  });

  it('stops polling for at most 15 min after Retry-After: 31536000', () => {
    const gate = createBackoffGate();
    expect(gate.recordThrottle(throttle(31_536_000), NOW).toISOString()).toBe(later(900).toISOString());
    expect(gate.check(later(899))).toBeDefined();
    expect(gate.check(later(900))).toBeUndefined();
  });

  it('honours Retry-After over the doubling', () => {
    const gate = createBackoffGate();
    expect(gate.recordThrottle(throttle(5), NOW).toISOString()).toBe(later(5).toISOString());
  });
});
