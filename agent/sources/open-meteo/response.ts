// Reads a 200 answer from Open-Meteo into one element per requested location, then checks each
// element carries what was asked for. Open-Meteo sends 200 before it streams the body, so a
// failure mid-stream arrives as a 200 whose JSON is cut off and followed by "Unexpected error
// while streaming data: ..."; that, or anything else that is not the expected JSON, fails the
// whole batch. An element without usable `current` data fails only its own location.
import { SourceError } from '../../errors.ts';

const STREAM_ERROR_MARKER = 'Unexpected error while streaming data';

function describeUnreadable(text: string, error: unknown): string {
  const markerAt = text.indexOf(STREAM_ERROR_MARKER);
  if (markerAt >= 0) return `the server reported "${text.slice(markerAt, markerAt + 200).trim()}"`;
  if (text.trim() === '') return 'the body was empty';
  // A body cut short ends the parse early; anything else is a complete body that is not JSON,
  // e.g. a bare nan where a number should be (the server writes non-finite floats that way).
  const cutShort = error instanceof SyntaxError && /end of (json )?input|unterminated/i.test(error.message);
  const nanAt = text.search(/[:,[]\s*-?nan\b/i);
  const detail = nanAt >= 0 ? `, a bare nan at byte ${nanAt + 1}` : '';
  return `the body is ${cutShort ? 'not complete' : 'not valid'} JSON (${Buffer.byteLength(text)} bytes${detail})`;
}

/**
 * The per-location elements of a 200 body, in request order. One location gives a single object,
 * two or more an array of the same length. Throws SourceError('bad-body') otherwise.
 */
export function splitBatchBody(text: string, expected: number, endpoint: string): Record<string, unknown>[] {
  const fail = (what: string, cause?: unknown) =>
    new SourceError('bad-body', `Open-Meteo at ${endpoint} answered HTTP 200 but ${what}; no data from this request was kept.`, {
      status: 200,
      cause,
    });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw fail(describeUnreadable(text, error), error);
  }
  const elements = Array.isArray(body) ? body : [body];
  if (!Array.isArray(body) && expected > 1) {
    const reason = isObject(body) && typeof body.reason === 'string' ? ` ("${body.reason.slice(0, 200)}")` : '';
    throw fail(`sent one object${reason} where a list of ${expected} locations was expected`);
  }
  if (elements.length !== expected) throw fail(`sent ${elements.length} results for ${expected} locations`);
  elements.forEach((element, index) => {
    if (!isObject(element)) throw fail(`result ${index + 1} is not a JSON object`);
    if (element.error === true) throw fail(`sent an error${typeof element.reason === 'string' ? ` ("${element.reason.slice(0, 200)}")` : ''}`);
  });
  return orderByLocationId(elements as Record<string, unknown>[], fail);
}

/**
 * The elements in request order. Open-Meteo gives each result a `location_id`: the position of its
 * coordinates in the request unless the request set its own ids, and left out when it is 0
 * (open-meteo/open-meteo Sources/App/Helper/ForecastapiQuery.swift getCoordinates, and
 * Sources/App/Helper/Writer/JsonWriter.swift `if locationId != 0`). So a reordered answer is put
 * back in order, and one whose ids do not fit the request fails the batch. An older server that
 * sends no `location_id` at all is read by position.
 */
function orderByLocationId(elements: Record<string, unknown>[], fail: (what: string) => SourceError): Record<string, unknown>[] {
  if (elements.length < 2 || !elements.some((element) => 'location_id' in element)) return elements;
  const ordered: Record<string, unknown>[] = [];
  elements.forEach((element, index) => {
    const id = element.location_id ?? 0;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= elements.length) {
      throw fail(`result ${index + 1} carries location_id ${JSON.stringify(id)}, not a position from 0 to ${elements.length - 1} in the request`);
    }
    if (ordered[id]) throw fail(`two results carry location_id ${id}`);
    ordered[id] = element;
  });
  return ordered;
}

/** How far the answer's grid point may be from the requested coordinates; model grids are at most ~0.25-0.5 degrees. */
export const MAX_SNAP_DEGREES = 1;

/** Why an answer's coordinates cannot belong to the requested location, or undefined when they can. */
export function misplaced(element: Record<string, unknown>, requested: { latitude: number; longitude: number }): string | undefined {
  const { latitude, longitude } = element;
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return undefined; // Not sent: nothing to compare.
  const dLat = Math.abs(latitude - requested.latitude);
  const dLon = Math.abs(((longitude - requested.longitude + 540) % 360) - 180);
  if (dLat <= MAX_SNAP_DEGREES && dLon <= MAX_SNAP_DEGREES) return undefined;
  return `the answer is for ${latitude}, ${longitude}, more than ${MAX_SNAP_DEGREES} degree from the requested ${requested.latitude}, ${requested.longitude}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Real offsets run from -12:00 to +14:00; ISO 8601 allows +-18:00. Beyond that it is garbage. */
export const MAX_UTC_OFFSET_SECONDS = 18 * 3600;
/**
 * `current.time` is the start of the slot the server is in, so it is never ahead of a correct
 * clock; this margin only absorbs a few minutes of clock skew between this server and the source.
 */
export const MAX_FUTURE_SECONDS = 10 * 60;
/** Years before this agent existed: a time this old is a broken clock or epoch 0, not a current value. */
export const EARLIEST_PLAUSIBLE = new Date('2020-01-01T00:00:00Z');
/** Payloads deeper than this are not weather data, and would overflow the stack when written. */
export const MAX_PAYLOAD_DEPTH = 32;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Text saying what is impossible about a calendar time, or undefined; Date.UTC would roll over. */
function impossibleFields(year: number, month: number, day: number, hour: number, minute: number, second: number): string | undefined {
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  if (hour > 23 || minute > 59 || second > 59) return 'the time of day does not exist';
  return undefined;
}

function offsetSecondsOf(suffix: string): number {
  if (suffix === 'Z') return 0;
  const sign = suffix.startsWith('-') ? -1 : 1;
  return sign * (Number(suffix.slice(1, 3)) * 3600 + Number(suffix.slice(4, 6)) * 60);
}

/**
 * UTC instant of `current.time`: epoch seconds (timeformat=unixtime), or an ISO local time with no
 * suffix in the answer's timezone, which `utc_offset_seconds` turns into UTC (an explicit Z or
 * offset needs no help). Impossible calendar times ("2026-02-31T25:61") and offsets are refused,
 * never rolled over. Returns a text saying what is wrong when the time cannot be read.
 */
export function parseObservedAt(time: unknown, utcOffsetSeconds: unknown): Date | string {
  if (typeof time === 'number') {
    const date = new Date(time * 1000);
    return Number.isFinite(date.getTime()) ? date : `current.time is not a valid epoch time (${time})`;
  }
  if (typeof time !== 'string') return 'current.time is missing';
  const shown = JSON.stringify(time.slice(0, 40));
  const match = LOCAL_TIME.exec(time);
  if (!match) return `current.time ${shown} is not a time`;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const impossible = impossibleFields(year, month, day, hour, minute, second);
  if (impossible) return `current.time ${shown} is not a real time (${impossible})`;
  const milliseconds = Number((match[7] ?? '').padEnd(3, '0'));
  const suffix = match[8];
  let offset: number;
  if (suffix !== undefined) offset = offsetSecondsOf(suffix);
  else if (typeof utcOffsetSeconds !== 'number' || !Number.isFinite(utcOffsetSeconds)) {
    return 'utc_offset_seconds is missing, so current.time cannot be placed in UTC';
  } else offset = utcOffsetSeconds;
  if (Math.abs(offset) > MAX_UTC_OFFSET_SECONDS) return `utc_offset_seconds ${offset} is not a real UTC offset (at most +-${MAX_UTC_OFFSET_SECONDS})`;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds) - offset * 1000);
}

/**
 * Why an observed time cannot be a current observation at `now`, or undefined when it can. A time
 * in the future would, once remembered, make every later real value look already written.
 */
export function implausibleTime(observedAt: Date, now: Date): string | undefined {
  const aheadSeconds = (observedAt.getTime() - now.getTime()) / 1000;
  if (aheadSeconds > MAX_FUTURE_SECONDS) {
    return `current.time is ${observedAt.toISOString()}, ${Math.round(aheadSeconds / 60)} min ahead of this server's clock (${now.toISOString()}; at most ${MAX_FUTURE_SECONDS / 60} min allowed). Check this server's clock (doctor checks it) or the source`;
  }
  if (observedAt.getTime() < EARLIEST_PLAUSIBLE.getTime()) {
    return `current.time is ${observedAt.toISOString()}, before ${EARLIEST_PLAUSIBLE.toISOString().slice(0, 10)}: not a current observation`;
  }
  return undefined;
}

/** Whether a JSON value nests deeper than `limit` levels; iterative, so a hostile answer cannot overflow the stack. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

export type ObservationCheck = { ok: true; observedAt: Date } | { ok: false; problem: string; kind: 'bad-body' | 'bad-time' };

/**
 * Whether one location's element holds a usable observation at `now`: a `current` block with a
 * readable, plausible time and every requested variable (a null value is the API saying "no
 * data" and is kept as is), and nothing nested deeper than weather data ever is.
 */
export function checkObservation(
  element: Record<string, unknown>,
  variables: string[],
  now: Date,
  requested?: { latitude: number; longitude: number },
): ObservationCheck {
  try {
    return checkElement(element, variables, now, requested);
  } catch (error) {
    // Whatever an element holds, it fails only its own location.
    return { ok: false, kind: 'bad-body', problem: `the answer could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
}

function checkElement(element: Record<string, unknown>, variables: string[], now: Date, requested?: { latitude: number; longitude: number }): ObservationCheck {
  const placement = requested ? misplaced(element, requested) : undefined;
  if (placement) return { ok: false, kind: 'bad-body', problem: placement };
  const current = element.current;
  if (!isObject(current)) return { ok: false, kind: 'bad-body', problem: 'the answer has no "current" block' };
  const observedAt = parseObservedAt(current.time, element.utc_offset_seconds);
  if (typeof observedAt === 'string') return { ok: false, kind: current.time === undefined ? 'bad-body' : 'bad-time', problem: observedAt };
  const implausible = implausibleTime(observedAt, now);
  if (implausible) return { ok: false, kind: 'bad-time', problem: implausible };
  const missing = variables.filter((name) => !(name in current));
  if (missing.length > 0) return { ok: false, kind: 'bad-body', problem: `current.${missing.join(', current.')} missing` };
  if (nestsDeeperThan(element, MAX_PAYLOAD_DEPTH)) return { ok: false, kind: 'bad-body', problem: `the answer nests more than ${MAX_PAYLOAD_DEPTH} levels deep` };
  return { ok: true, observedAt };
}
