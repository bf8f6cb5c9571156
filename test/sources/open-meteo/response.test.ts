import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../agent/errors.ts';
import { checkObservation, parseObservedAt, splitBatchBody } from '../../../agent/sources/open-meteo/response.ts';

const ENDPOINT = 'api.open-meteo.com/v1/forecast';

function element(current: unknown, utcOffsetSeconds: unknown = 0): Record<string, unknown> {
  return { latitude: 60.16, longitude: 24.94, utc_offset_seconds: utcOffsetSeconds, timezone: 'GMT', current };
}

describe('parseObservedAt', () => {
  it.each([
    ['2026-11-21T10:15', 0, '2026-11-21T10:15:00.000Z'],
    ['2026-11-21T05:15', -18000, '2026-11-21T10:15:00.000Z'],
    ['2026-11-21T15:45', 19800, '2026-11-21T10:15:00.000Z'],
    ['2026-11-22T00:15', 50400, '2026-11-21T10:15:00.000Z'],
    ['2026-11-21T10:15:30', 0, '2026-11-21T10:15:30.000Z'],
    ['2026-11-21T12:15+02:00', 'ignored', '2026-11-21T10:15:00.000Z'],
    [1795256100, undefined, '2026-11-21T10:15:00.000Z'],
  ])('reads %j with offset %j as %s', (time, offset, expected) => {
    const result = parseObservedAt(time, offset);
    expect(result).toBeInstanceOf(Date);
    expect((result as Date).toISOString()).toBe(expected);
  });

  it.each([
    [undefined, 0, 'current.time is missing'],
    ['yesterday', 0, 'is not a time'],
    ['2026-11-21T10:15', undefined, 'utc_offset_seconds is missing'],
    [Number.NaN, 0, 'not a valid epoch time'],
  ])('explains why %j (offset %j) cannot be read', (time, offset, problem) => {
    expect(parseObservedAt(time, offset)).toContain(problem);
  });
});

describe('splitBatchBody', () => {
  const one = element({ time: '2026-11-21T10:15', interval: 900 });

  it('wraps the single object answered for one location', () => {
    expect(splitBatchBody(JSON.stringify(one), 1, ENDPOINT)).toEqual([one]);
  });

  it('returns the array answered for several locations, in order', () => {
    const two = { ...one, location_id: 1 };
    expect(splitBatchBody(JSON.stringify([one, two]), 2, ENDPOINT)).toEqual([one, two]);
  });

  it.each([
    ['a body cut off by a streaming error', `${JSON.stringify([one, one]).slice(0, 40)}Unexpected error while streaming data: x`, 2, 'Unexpected error while streaming data'],
    ['an empty body', '', 1, 'empty'],
    ['non-JSON', '<html>proxy says no</html>', 1, 'the body is not valid JSON (26 bytes)'],
    ['a body cut short', JSON.stringify([one, one]).slice(0, 40), 2, 'the body is not complete JSON (40 bytes)'],
    ['a bare nan', '{"current":{"time":"2026-11-21T10:15","temperature_2m":nan}}', 1, 'the body is not valid JSON (60 bytes, a bare nan at byte 55)'],
    ['one object for two locations', JSON.stringify(one), 2, 'one object'],
    ['a list of the wrong length', JSON.stringify([one, one, one]), 2, '3 results for 2 locations'],
    ['an element that is not an object', JSON.stringify([one, 5]), 2, 'result 2 is not a JSON object'],
    ['an error object with status 200', JSON.stringify({ error: true, reason: 'odd' }), 1, 'odd'],
  ])('fails the whole batch for %s', (_name, text, expected, message) => {
    let caught: unknown;
    try {
      splitBatchBody(text, expected, ENDPOINT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SourceError);
    expect(caught).toMatchObject({ kind: 'bad-body', status: 200 });
    expect((caught as SourceError).message).toContain(message);
    expect((caught as SourceError).message).toContain(ENDPOINT);
  });
});

describe('checkObservation', () => {
  const variables = ['temperature_2m', 'is_day'];

  it('accepts a complete element, keeping null values as the API sent them', () => {
    const check = checkObservation(element({ time: '2026-11-21T10:15', interval: 900, temperature_2m: null, is_day: 1 }), variables);
    expect(check).toEqual({ ok: true, observedAt: new Date('2026-11-21T10:15:00Z') });
  });

  it.each([
    [element(undefined), 'no "current" block'],
    [element({ interval: 900, temperature_2m: 1, is_day: 1 }), 'current.time is missing'],
    [element({ time: '2026-11-21T10:15', temperature_2m: 1 }), 'current.is_day missing'],
    [element({ time: '2026-11-21T10:15' }), 'current.temperature_2m, current.is_day missing'],
  ])('reports what is missing (%#)', (input, problem) => {
    const check = checkObservation(input, variables);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.problem).toContain(problem);
  });
});
