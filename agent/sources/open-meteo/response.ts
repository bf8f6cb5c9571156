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
  return elements as Record<string, unknown>[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * UTC instant of `current.time`: epoch seconds (timeformat=unixtime), or an ISO local time with no
 * suffix in the answer's timezone, which `utc_offset_seconds` turns into UTC.
 * Returns a text saying what is wrong when the time cannot be read.
 */
export function parseObservedAt(time: unknown, utcOffsetSeconds: unknown): Date | string {
  if (typeof time === 'number') {
    return Number.isFinite(time) ? new Date(time * 1000) : `current.time is not a valid epoch time (${time})`;
  }
  if (typeof time !== 'string') return 'current.time is missing';
  const match = LOCAL_TIME.exec(time);
  if (!match) {
    // An explicit offset or Z needs no help from utc_offset_seconds.
    const parsed = /(Z|[+-]\d{2}:\d{2})$/.test(time) ? Date.parse(time) : Number.NaN;
    return Number.isNaN(parsed) ? `current.time "${time.slice(0, 40)}" is not a time` : new Date(parsed);
  }
  if (typeof utcOffsetSeconds !== 'number' || !Number.isFinite(utcOffsetSeconds)) {
    return 'utc_offset_seconds is missing, so current.time cannot be placed in UTC';
  }
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const localMs = Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second || 0);
  if (Number.isNaN(localMs)) return `current.time "${time}" is not a time`;
  return new Date(localMs - utcOffsetSeconds * 1000);
}

export type ObservationCheck = { ok: true; observedAt: Date } | { ok: false; problem: string };

/**
 * Whether one location's element holds a usable observation: a `current` block with a readable
 * time and every requested variable (a null value is the API saying "no data" and is kept as is).
 */
export function checkObservation(element: Record<string, unknown>, variables: string[]): ObservationCheck {
  const current = element.current;
  if (!isObject(current)) return { ok: false, problem: 'the answer has no "current" block' };
  const observedAt = parseObservedAt(current.time, element.utc_offset_seconds);
  if (typeof observedAt === 'string') return { ok: false, problem: observedAt };
  const missing = variables.filter((name) => !(name in current));
  if (missing.length > 0) return { ok: false, problem: `current.${missing.join(', current.')} missing` };
  return { ok: true, observedAt };
}
