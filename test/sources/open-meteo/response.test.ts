import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../agent/errors.ts';
import { checkObservation, parseObservedAt, splitBatchBody } from '../../../agent/sources/open-meteo/response.ts';

const ENDPOINT = 'api.open-meteo.com/v1/forecast';
const NOW = new Date('2026-11-21T10:20:00Z');

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
    ['2026-11-21T10:15:00.250Z', 'ignored', '2026-11-21T10:15:00.250Z'],
    ['2028-02-29T10:15', 0, '2028-02-29T10:15:00.000Z'],
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
    [1e20, 0, 'not a valid epoch time'],
    ['2026-02-31T25:61', 0, 'day 31 does not exist in 2026-02'],
    ['2026-02-29T10:00', 0, 'day 29 does not exist in 2026-02'],
    ['2026-11-21T25:00', 0, 'the time of day does not exist'],
    ['2026-11-21T10:61', 0, 'the time of day does not exist'],
    ['2026-13-01T10:00', 0, 'month 13 does not exist'],
    ['2026-02-31T10:00Z', 'ignored', 'day 31 does not exist'],
    ['2026-11-21T10:15', 1e13, 'not a real UTC offset'],
    ['2026-11-21T10:15', -86400, 'not a real UTC offset'],
    ['2026-11-21T10:15+25:00', 0, 'not a real UTC offset'],
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

  it('puts a reordered answer back in request order by location_id (left out when 0)', () => {
    const two = { ...one, location_id: 1 };
    const three = { ...one, location_id: 2 };
    expect(splitBatchBody(JSON.stringify([three, one, two]), 3, ENDPOINT)).toEqual([one, two, three]);
  });

  it('reads an answer without any location_id (an older server) by position', () => {
    const two = { ...one, latitude: 1 };
    expect(splitBatchBody(JSON.stringify([two, one]), 2, ENDPOINT)).toEqual([two, one]);
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
    ['a location_id twice', JSON.stringify([one, { ...one, location_id: 1 }, { ...one, location_id: 1 }]), 3, 'two results carry location_id 1'],
    ['a location_id outside the request', JSON.stringify([one, { ...one, location_id: 7 }]), 2, 'location_id 7, not a position from 0 to 1'],
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
    const check = checkObservation(element({ time: '2026-11-21T10:15', interval: 900, temperature_2m: null, is_day: 1 }), variables, NOW);
    expect(check).toEqual({ ok: true, observedAt: new Date('2026-11-21T10:15:00Z') });
  });

  it('accepts a time a few minutes ahead of the clock (clock skew) and a grid point near the request', () => {
    const input = { ...element({ time: '2026-11-21T10:30', interval: 900, temperature_2m: 1, is_day: 1 }), latitude: 60.5, longitude: 25.5 };
    expect(checkObservation(input, variables, NOW, { latitude: 60.17, longitude: 24.94 }).ok).toBe(true);
    const dateLine = { ...input, longitude: 179.8 };
    expect(checkObservation(dateLine, variables, NOW, { latitude: 60.17, longitude: -179.9 }).ok).toBe(true);
  });

  it('fails, instead of throwing, for an element it cannot read', () => {
    const hostile = { current: { get time(): string { throw new RangeError('odd value'); } } };
    expect(checkObservation(hostile, variables, NOW)).toEqual({ ok: false, kind: 'bad-body', problem: 'the answer could not be read (odd value)' });
  });

  it.each([
    [element(undefined), 'no "current" block'],
    [element({ interval: 900, temperature_2m: 1, is_day: 1 }), 'current.time is missing'],
    [element({ time: '2026-11-21T10:15', temperature_2m: 1 }), 'current.is_day missing'],
    [element({ time: '2026-11-21T10:15' }), 'current.temperature_2m, current.is_day missing'],
    [element({ time: '2099-01-01T00:00', temperature_2m: 1, is_day: 1 }), 'ahead of this server'],
    [element({ time: '2026-11-21T10:31', temperature_2m: 1, is_day: 1 }), '11 min ahead of this server'],
    [element({ time: '2026-11-21T10:15', temperature_2m: 1, is_day: 1 }, -10 * 3600), 'ahead of this server'],
    [element({ time: 0, temperature_2m: 1, is_day: 1 }), 'not a current observation'],
    [element({ time: '2026-11-21T10:15', temperature_2m: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], is_day: 1 }), 'nests more than 32 levels'],
    [{ ...element({ time: '2026-11-21T10:15', temperature_2m: 1, is_day: 1 }), latitude: 52.52 }, 'more than 1 degree from the requested 60.17, 24.94'],
  ])('reports what is missing or wrong (%#)', (input, problem) => {
    const check = checkObservation(input, variables, NOW, { latitude: 60.17, longitude: 24.94 });
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.problem).toContain(problem);
  });
});
