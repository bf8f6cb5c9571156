// The Open-Meteo source: one collection cycle asks for the current weather of every configured
// location and returns exactly one result per location, in input order, ok or failed.
//
// Lifecycle of a cycle: locations are cut into batches of at most 1,000 (the free API's limit per
// request); batches go out one after another, one GET each, never retried within the cycle
// (failed calls count against the API budget; the next cycle is the retry). A 429 or 503 closes
// the back-off gate: the rest of the cycle, and later cycles until the gate's time, fail without a
// request. Source failures never throw; only an abort of the caller's signal (shutdown) does.
import type { Dispatcher } from 'undici';
import type { Location, OpenMeteoConfig } from '../../config/types.ts';
import { SourceError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import { registerSecret } from '../../log/redact.ts';
import { createBackoffGate } from './backoff.ts';
import { classifyHttpFailure } from './http-status.ts';
import { buildBatchUrl, describeEndpoint, getWithDeadline } from './request.ts';
import { checkObservation, splitBatchBody } from './response.ts';

export const MAX_LOCATIONS_PER_REQUEST = 1000;

export type LocationResult =
  | { location: Location; ok: true; observedAt: Date; payload: Record<string, unknown> }
  | { location: Location; ok: false; error: SourceError };

export interface OpenMeteoSource {
  /** One cycle: every location gets exactly one result, in input order. Never throws for source
   *  failures (they become failed results); throws only if `signal` aborts (shutdown). */
  fetchCurrent(locations: Location[], signal?: AbortSignal): Promise<LocationResult[]>;
}

export interface OpenMeteoSourceOptions {
  config: OpenMeteoConfig;
  logger: Logger;
  /** Applies the proxy and extra CA; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  now?: () => Date;
}

interface BatchOutcome {
  results: LocationResult[];
  /** Set when the source asked us to back off; the rest of the cycle is skipped. */
  throttled?: SourceError;
}

export function splitIntoBatches<T>(items: T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

function failAll(batch: Location[], error: SourceError): LocationResult[] {
  return batch.map((location) => ({ location, ok: false, error }));
}

export function createOpenMeteoSource(options: OpenMeteoSourceOptions): OpenMeteoSource {
  const { config, dispatcher } = options;
  const logger = options.logger.child('open-meteo');
  const now = options.now ?? (() => new Date());
  const apiKey = config.apiKey?.reveal();
  registerSecret(apiKey);
  const baseUrl = new URL(config.url);
  const endpoint = describeEndpoint(baseUrl);
  const logTarget = { host: baseUrl.host, path: baseUrl.pathname };
  const gate = createBackoffGate();
  // A second line of defence: text from elsewhere (TLS errors, API reasons) must not carry the key.
  const scrub = (text: string) =>
    (apiKey ? text.split(apiKey).join('**REDACTED**') : text).replace(/\?\S*=\S*/g, '?…');

  function resultsFromBody(batch: Location[], text: string): LocationResult[] {
    const elements = splitBatchBody(text, batch.length, endpoint);
    const results: LocationResult[] = [];
    const problems: string[] = [];
    batch.forEach((location, index) => {
      const payload = elements[index] as Record<string, unknown>;
      const check = checkObservation(payload, config.variables, now(), location);
      if (check.ok) return results.push({ location, ok: true, observedAt: check.observedAt, payload });
      const message = `Open-Meteo at ${endpoint} sent no usable data for location "${location.id}" (result ${index + 1} of ${batch.length}): ${check.problem}. The agent tries again next cycle.`;
      problems.push(`${location.id}: ${check.problem}`);
      return results.push({ location, ok: false, error: new SourceError(check.kind, message, { status: 200 }) });
    });
    if (problems.length > 0) {
      logger.warn('Open-Meteo sent no usable data for some locations; they will be polled again next cycle.', {
        ...logTarget, failed: problems.length, locations: batch.length, first: problems[0],
      });
    }
    return results;
  }

  async function fetchBatch(batch: Location[], signal: AbortSignal | undefined): Promise<BatchOutcome> {
    const url = buildBatchUrl(baseUrl, batch, config.variables, apiKey);
    try {
      const reply = await getWithDeadline(url, { dispatcher, signal, endpoint, scrub, timeoutMs: config.timeoutSeconds * 1000 });
      logger.debug('Open-Meteo request finished.', { ...logTarget, locations: batch.length, status: reply.status, ms: reply.ms });
      if (reply.status < 200 || reply.status > 299) {
        throw classifyHttpFailure(reply, { endpoint, apiKeyConfigured: apiKey !== undefined, now: now(), scrub });
      }
      const results = resultsFromBody(batch, reply.text);
      gate.recordSuccess();
      return { results };
    } catch (error) {
      if (!(error instanceof SourceError)) throw error; // the caller's abort reason: shutdown
      return failedBatch(batch, error);
    }
  }

  function failedBatch(batch: Location[], error: SourceError): BatchOutcome {
    let reported = error;
    if (error.kind === 'rate-limited' || error.kind === 'unavailable') {
      const notBefore = gate.recordThrottle(error, now());
      reported = new SourceError(error.kind, `${error.message} No request before ${notBefore.toISOString()}.`, {
        cause: error.cause,
        status: error.status,
        retryAfterSeconds: Math.ceil((notBefore.getTime() - now().getTime()) / 1000),
      });
    }
    const fields = { ...logTarget, kind: reported.kind, status: reported.status, locations: batch.length, error: reported.message };
    if (reported.kind === 'bad-request' || reported.kind === 'auth') {
      // Asking again will fail the same way until a person fixes the config: that is an error line.
      logger.error('Open-Meteo refused the request; fix the config as the error says. The agent asks again next cycle.', fields);
    } else {
      logger.warn('Open-Meteo request failed; its locations are reported as failed and polled again next cycle.', fields);
    }
    const throttled = reported.kind === 'rate-limited' || reported.kind === 'unavailable' ? reported : undefined;
    return { results: failAll(batch, reported), ...(throttled ? { throttled } : {}) };
  }

  return {
    async fetchCurrent(locations, signal) {
      signal?.throwIfAborted();
      const results: LocationResult[] = [];
      let stopReason: SourceError | undefined;
      const skipped = { batches: 0, locations: 0, reason: undefined as SourceError | undefined };
      for (const batch of splitIntoBatches(locations, MAX_LOCATIONS_PER_REQUEST)) {
        signal?.throwIfAborted();
        const blocked = stopReason ?? gate.check(now());
        if (blocked) {
          results.push(...failAll(batch, blocked));
          Object.assign(skipped, { batches: skipped.batches + 1, locations: skipped.locations + batch.length, reason: blocked });
          continue;
        }
        const outcome = await fetchBatch(batch, signal);
        results.push(...outcome.results);
        stopReason = outcome.throttled;
      }
      if (skipped.reason) {
        logger.warn('Skipped Open-Meteo requests while backing off; their locations are reported as failed.', {
          ...logTarget, kind: skipped.reason.kind, batches: skipped.batches, locations: skipped.locations, error: skipped.reason.message,
        });
      }
      return results;
    },
  };
}
