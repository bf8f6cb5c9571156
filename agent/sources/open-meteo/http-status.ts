// Turns a non-2xx Open-Meteo answer into a SourceError: the one place that decides which kind a
// status is (and so whether the source backs off) and what a person should fix. Open-Meteo puts
// its explanation in `{"error": true, "reason": "..."}`; the reason is quoted, never the body.
//
// The server's texts (open-meteo/open-meteo): rate limits in Sources/App/Helper/Vapor/RateLimiter.swift
// (429, no Retry-After, "Minutely/Hourly/Daily API request limit exceeded..."); keys in
// Sources/App/Helper/Vapor/ApiKeyManager.swift (401 "API key required...", 400 "The supplied API
// key is invalid.", a 303 to the customer- host for a key sent to the free host, or a 400 "...too
// long for automatic redirection..." when that URL would be too long, 400 "...requests too much
// data..."); "No data is available for this location" in Sources/App/Helper/ForecastapiQuery.swift.
// Invalid variables come from the query decoder, whose wording has changed between versions, so
// hints look for a configured variable named in the reason rather than for one sentence.
import type { IncomingHttpHeaders } from 'node:http';
import { SourceError, type SourceErrorKind } from '../../errors.ts';
import { PROXY_AUTH_HINT } from '../../net/proxy.ts';
import { parseRetryAfter } from './backoff.ts';
import { windowResetsAt } from './budget.ts';

export interface FailureContext {
  /** host + path */
  endpoint: string;
  apiKeyConfigured: boolean;
  now: Date;
  scrub: (text: string) => string;
  /** The configured variables, to name the one a 400 is about. */
  variables?: string[];
}

const MAX_REASON_LENGTH = 300;
const COMMERCIAL_URL = 'https://customer-api.open-meteo.com/v1/forecast';
export const COMMERCIAL_FIX = `set open_meteo.url = ${COMMERCIAL_URL} (the free endpoint is for non-commercial use and takes no key), or remove open_meteo.api_key for non-commercial use`;

/** The API's `reason` text when the body is its JSON error shape. */
export function extractReason(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && 'reason' in body && typeof body.reason === 'string') {
      return body.reason.slice(0, MAX_REASON_LENGTH);
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone has to do.
  }
  return undefined;
}

export const isNoDataReason = (reason: string | undefined): boolean => reason !== undefined && /no data is available/i.test(reason);
export const isTooMuchDataReason = (reason: string | undefined): boolean => reason !== undefined && /too much data/i.test(reason);
const isRedirectToCustomer = (status: number, headers: IncomingHttpHeaders, reason: string | undefined) =>
  (status >= 300 && status < 400 && /^https?:\/\/customer-/i.test(String(headers.location ?? '')))
  || (status === 400 && reason !== undefined && /customer-/i.test(reason));

function kindForStatus(status: number, reason: string | undefined): SourceErrorKind {
  if (status === 400 && isNoDataReason(reason)) return 'no-data';
  if (status === 400) return reason && /api ?key/i.test(reason) ? 'auth' : 'bad-request';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limited';
  if (status === 503) return 'unavailable';
  return 'http';
}

/** The configured variable a 400 reason names, whatever the sentence around it. */
export function findNamedVariable(reason: string, variables: string[]): string | undefined {
  return variables.find((name) => new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`).test(reason));
}

function badRequestHint(reason: string | undefined, variables: string[]): string {
  if (reason && /latitude|longitude/i.test(reason)) return ' Check the latitude and longitude in the [locations] section of the config file.';
  const variable = reason && findNamedVariable(reason, variables);
  if (variable) return ` Fix open_meteo.variables in the config file: Open-Meteo does not accept "${variable}" (see https://open-meteo.com/en/docs for the names).`;
  return ' Check open_meteo.url and the names in open_meteo.variables in the config file.';
}

function authHint(status: number, reason: string | undefined, context: FailureContext): string {
  if (status === 400 && reason && /invalid/i.test(reason)) {
    return ' Check open_meteo.api_key in the config file: copy the key again exactly as issued (wrong, expired or cancelled key?).';
  }
  if (!context.apiKeyConfigured) return ' This endpoint needs an API key: set open_meteo.api_key in the config file.';
  if (status === 401) return ' Open-Meteo saw no key: check open_meteo.api_key in the config file and that no proxy on the way removes the query string.';
  return ' Check open_meteo.api_key in the config file and that the plan covers this endpoint.';
}

function hintFor(kind: SourceErrorKind, status: number, reason: string | undefined, context: FailureContext): string {
  switch (kind) {
    case 'bad-request':
      return badRequestHint(reason, context.variables ?? []);
    case 'auth':
      return authHint(status, reason, context);
    case 'no-data':
      return ' Check the latitude and longitude in [locations] (sea, or outside the weather models?).';
    case 'rate-limited':
    case 'unavailable':
      return '';
    default:
      if (status === 404) return ' Check open_meteo.url in the config file (expected a path like /v1/forecast).';
      if (status === 407) return ` ${PROXY_AUTH_HINT}`;
      if (status === 414) return ' A proxy or gateway on the way refused the request URL as too long (the agent keeps URLs under 8,000 bytes): ask its administrator to allow 8 KB request lines.';
      return ' The agent tries again next cycle.';
  }
}

const KIND_TEXT: Record<SourceErrorKind, string> = {
  'bad-request': 'rejected the request',
  auth: 'refused the API key',
  'rate-limited': 'rate limit reached',
  unavailable: 'is unavailable',
  http: 'answered with an error',
  network: 'could not be reached',
  timeout: 'timed out',
  'bad-body': 'sent an unreadable answer',
  'no-data': 'has no data for a location',
  'over-budget': 'call budget spent',
  'bad-time': 'sent an impossible or future time',
};

/** A 429 without Retry-After: the wait its reason names (the server clears its counters then). */
function retryAfterFromReason(reason: string | undefined, now: Date): number | undefined {
  if (!reason) return undefined;
  const until = (at: Date) => Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
  if (/^daily/i.test(reason)) return until(windowResetsAt('day', now));
  if (/^hourly/i.test(reason)) return until(windowResetsAt('hour', now));
  if (/^minutely/i.test(reason)) return 60;
  return undefined;
}

export function classifyHttpFailure(
  reply: { status: number; headers: IncomingHttpHeaders; text: string },
  context: FailureContext,
): SourceError {
  const rawReason = extractReason(reply.text);
  const reason = rawReason === undefined ? undefined : context.scrub(rawReason);
  if (isRedirectToCustomer(reply.status, reply.headers, reason)) {
    // The Location header carries the whole URL with the key: it is never quoted.
    return new SourceError('auth', `Open-Meteo refused the API key (HTTP ${reply.status}) at ${context.endpoint}: the free endpoint takes no key and redirects such requests to the commercial endpoint, so no data was sent. Fix: ${COMMERCIAL_FIX}.`, { status: reply.status });
  }
  const kind = kindForStatus(reply.status, reason);
  const retryAfterSeconds = kind === 'rate-limited' || kind === 'unavailable'
    ? parseRetryAfter(reply.headers['retry-after'], context.now) ?? (kind === 'rate-limited' ? retryAfterFromReason(reason, context.now) : undefined)
    : undefined;
  const reasonText = reason ? `: "${reason.replace(/[.\s]+$/, '')}"` : '';
  const message = `Open-Meteo ${KIND_TEXT[kind]} (HTTP ${reply.status}) at ${context.endpoint}${reasonText}.${hintFor(kind, reply.status, reason, context)}`;
  return new SourceError(kind, message, {
    status: reply.status,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}
