// Turns a non-2xx Open-Meteo answer into a SourceError: the one place that decides which kind a
// status is (and so whether the source backs off) and what a person should fix. Open-Meteo puts
// its explanation in `{"error": true, "reason": "..."}`; the reason is quoted, never the body.
import type { IncomingHttpHeaders } from 'node:http';
import { SourceError, type SourceErrorKind } from '../../errors.ts';
import { PROXY_AUTH_HINT } from '../../net/proxy.ts';
import { parseRetryAfter } from './backoff.ts';

export interface FailureContext {
  /** host + path */
  endpoint: string;
  apiKeyConfigured: boolean;
  now: Date;
  scrub: (text: string) => string;
}

const MAX_REASON_LENGTH = 300;

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

function kindForStatus(status: number, reason: string | undefined): SourceErrorKind {
  if (status === 400) return reason && /api ?key/i.test(reason) ? 'auth' : 'bad-request';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limited';
  if (status === 503) return 'unavailable';
  return 'http';
}

function badRequestHint(reason: string | undefined): string {
  const variable = reason && /invalid String value (\S+) for key current/.exec(reason)?.[1];
  if (variable) return ` Fix open_meteo.variables in the config file: "${variable}" is not an Open-Meteo variable.`;
  if (reason && /latitude|longitude/i.test(reason)) return ' Check the latitude and longitude in the [locations] section of the config file.';
  return ' Check open_meteo.url and open_meteo.variables in the config file.';
}

function hintFor(kind: SourceErrorKind, status: number, reason: string | undefined, context: FailureContext): string {
  switch (kind) {
    case 'bad-request':
      return badRequestHint(reason);
    case 'auth':
      return context.apiKeyConfigured
        ? ' Check open_meteo.api_key in the config file (wrong or expired key?).'
        : ' This endpoint needs an API key: set open_meteo.api_key in the config file.';
    case 'rate-limited':
    case 'unavailable':
      return '';
    default:
      if (status === 404) return ' Check open_meteo.url in the config file (expected a path like /v1/forecast).';
      if (status === 407) return ` ${PROXY_AUTH_HINT}`;
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
};

export function classifyHttpFailure(
  reply: { status: number; headers: IncomingHttpHeaders; text: string },
  context: FailureContext,
): SourceError {
  const rawReason = extractReason(reply.text);
  const reason = rawReason === undefined ? undefined : context.scrub(rawReason);
  const kind = kindForStatus(reply.status, reason);
  const retryAfterSeconds = kind === 'rate-limited' || kind === 'unavailable'
    ? parseRetryAfter(reply.headers['retry-after'], context.now)
    : undefined;
  const reasonText = reason ? `: ${reason.replace(/[.\s]+$/, '')}` : '';
  const message = `Open-Meteo ${KIND_TEXT[kind]} (HTTP ${reply.status}) at ${context.endpoint}${reasonText}.${hintFor(kind, reply.status, reason, context)}`;
  return new SourceError(kind, message, {
    status: reply.status,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}
