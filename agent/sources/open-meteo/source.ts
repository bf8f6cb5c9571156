// The Open-Meteo source: one collection cycle asks for the current weather of every configured
// location and returns exactly one result per location, in input order, ok or failed.
//
// Lifecycle of a cycle: locations Open-Meteo is known to have no data for are left out until their
// daily retry (no-data-memory.ts); the rest are cut into batches (batches.ts: 1,000 locations, one
// minute's call budget, 8,000 URL bytes); batches go out one after another, one GET each. On the
// free API each batch first waits for room in the rolling minute and stops the cycle when the
// hour's or day's budget is spent (budget.ts). A batch refused because of one location is
// narrowed down (bisect.ts); otherwise nothing is retried within the cycle (failed calls count
// against the API budget; the next cycle is the retry). A 429 or 503 closes the back-off gate: the
// rest of the cycle, and later cycles until the gate's time, fail without a request. Source
// failures never throw; only an abort of the caller's signal (shutdown) does.
import type { Dispatcher } from 'undici';
import { sleepOn, type Clock } from '../../clock.ts';
import type { Location, OpenMeteoConfig } from '../../config/types.ts';
import { SourceError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import { registerSecret } from '../../log/redact.ts';
import { createBackoffGate } from './backoff.ts';
import { planBatches } from './batches.ts';
import { collectWithSplits, MAX_EXTRA_REQUESTS, type SendOutcome } from './bisect.ts';
import { createCallBudget, FREE_LIMITS, locationWeight, MAX_LOCATIONS_PER_REQUEST, type CallBudget } from './budget.ts';
import { classifyHttpFailure, extractReason, isNoDataReason, isTooMuchDataReason } from './http-status.ts';
import { createNoDataMemory } from './no-data-memory.ts';
import { createPacer, type Sleep } from './pacing.ts';
import { buildBatchUrl, describeEndpoint, getWithDeadline } from './request.ts';
import { checkObservation, splitBatchBody } from './response.ts';
import { weightedVariables } from './site-budget.ts';
import { LogEvents } from '../../log/events.ts';


export type LocationResult =
  | { location: Location; ok: true; observedAt: Date; payload: Record<string, unknown> }
  | { location: Location; ok: false; error: SourceError };

export interface OpenMeteoSource {
  /** One cycle: every location gets exactly one result, in input order. Never throws for source
   *  failures (they become failed results); throws only if `signal` aborts (shutdown). */
  fetchCurrent(locations: Location[], signal?: AbortSignal): Promise<LocationResult[]>;
  /** The free API budget's ledger, when config.callBudget is 'free'. */
  readonly budget?: CallBudget;
}

export interface OpenMeteoSourceOptions {
  config: OpenMeteoConfig;
  logger: Logger;
  /** Applies the proxy and extra CA; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  now?: () => Date;
  /** The agent's state folder: the budget ledger and no-data locations are kept there. */
  stateDir?: string;
  /** Waits for the per-minute budget (tests pass a fast clock's sleep). */
  sleep?: Sleep;
  /** Times request deadlines, and gives `now` and `sleep` when those are absent; the real clock by default. */
  clock?: Clock;
}

interface Cycle {
  /** Set when the source asked us to back off or the budget is spent; the rest is skipped. */
  stop?: SourceError;
  skipped: { batches: number; locations: number; reason?: SourceError };
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
  const { clock } = options;
  const now = options.now ?? (clock ? () => new Date(clock.now()) : () => new Date());
  const sleep = options.sleep ?? (clock ? (ms: number, signal: AbortSignal | undefined) => sleepOn(clock, ms, signal) : undefined);
  const apiKey = config.apiKey?.reveal();
  registerSecret(apiKey);
  const baseUrl = new URL(config.url);
  const endpoint = describeEndpoint(baseUrl);
  const logTarget = { host: baseUrl.host, path: baseUrl.pathname };
  const gate = createBackoffGate();
  const variablesWeighed = weightedVariables(config);
  const budget = config.callBudget === 'free' ? createCallBudget({ limits: FREE_LIMITS, now, ...(options.stateDir ? { stateDir: options.stateDir } : {}) }) : undefined;
  const pacer = createPacer({ budget, now, logger, logTarget, ...(sleep ? { sleep } : {}) });
  const noData = createNoDataMemory(options.stateDir, now);
  let redirectReported = false;
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
      logger.warn(LogEvents.noUsableData, {
        ...logTarget, failed: problems.length, locations: batch.length, first: problems[0],
      });
    }
    return results;
  }

  /** One GET for one batch; `split` when the server refused it for a reason halving gets around. */
  async function sendBatch(batch: Location[], cycle: Cycle, signal: AbortSignal | undefined): Promise<SendOutcome<LocationResult>> {
    const blocked = cycle.stop ?? gate.check(now());
    if (blocked) return skip(batch, cycle, blocked);
    const calls = batch.length * locationWeight(variablesWeighed);
    const spent = await pacer.waitForRoom(calls, signal);
    if (spent) {
      cycle.stop = spent;
      return skip(batch, cycle, spent);
    }
    const url = buildBatchUrl(baseUrl, batch, config.variables, apiKey);
    try {
      const reply = await getWithDeadline(url, { dispatcher, signal, endpoint, scrub, timeoutMs: config.timeoutSeconds * 1000, ...(clock ? { clock } : {}) });
      logger.debug(LogEvents.requestFinished, { ...logTarget, locations: batch.length, status: reply.status, ms: reply.ms });
      // As the server counts: an answered error costs 1 call, a 429 nothing (RateLimiter.swift).
      await budget?.record(reply.status === 429 ? 0 : reply.status >= 200 && reply.status <= 299 ? calls : 1);
      if (reply.status < 200 || reply.status > 299) {
        const error = classifyHttpFailure(reply, { endpoint, apiKeyConfigured: apiKey !== undefined, now: now(), scrub, variables: config.variables });
        const reason = extractReason(reply.text);
        if (reply.status === 400 && isNoDataReason(reason)) return { kind: 'split', error, because: 'no-data' };
        if (reply.status === 400 && isTooMuchDataReason(reason)) return { kind: 'split', error, because: 'too-much-data' };
        throw error;
      }
      const results = resultsFromBody(batch, reply.text);
      gate.recordSuccess();
      return { kind: 'ok', results };
    } catch (error) {
      if (!(error instanceof SourceError)) throw error; // the caller's abort reason: shutdown
      if (error.status === undefined) await budget?.record(calls); // may have been served: count it
      return { kind: 'failed', results: failedBatch(batch, error, cycle) };
    }
  }

  function skip(batch: Location[], cycle: Cycle, reason: SourceError): SendOutcome<LocationResult> {
    Object.assign(cycle.skipped, { batches: cycle.skipped.batches + 1, locations: cycle.skipped.locations + batch.length, reason });
    return { kind: 'failed', results: failAll(batch, reason) };
  }

  function failedBatch(batch: Location[], error: SourceError, cycle: Cycle): LocationResult[] {
    let reported = error;
    if (error.kind === 'rate-limited' || error.kind === 'unavailable') {
      const notBefore = gate.recordThrottle(error, now());
      reported = new SourceError(error.kind, `${error.message} No request before ${notBefore.toISOString()}.`, {
        cause: error.cause,
        status: error.status,
        retryAfterSeconds: Math.ceil((notBefore.getTime() - now().getTime()) / 1000),
      });
      cycle.stop = reported;
    }
    const fields = { ...logTarget, kind: reported.kind, status: reported.status, locations: batch.length, error: reported.message };
    const redirect = reported.kind === 'auth' && reported.status !== undefined && reported.status >= 300 && reported.status < 400;
    if (redirect && redirectReported) {
      logger.debug(LogEvents.keyStillRedirected, fields);
    } else if (reported.kind === 'bad-request' || reported.kind === 'auth') {
      // Asking again will fail the same way until a person fixes the config: that is an error line.
      logger.error(LogEvents.requestRefused, fields);
      redirectReported ||= redirect;
    } else {
      logger.warn(LogEvents.requestFailed, fields);
    }
    return failAll(batch, reported);
  }

  async function markNoData(location: Location, error: SourceError): Promise<LocationResult> {
    const entry = await noData.remember(location, error.message);
    logger.error(LogEvents.noDataForLocation, {
      ...logTarget, location: location.id, latitude: location.latitude, longitude: location.longitude, retry_at: entry.retryAt,
    });
    return { location, ok: false, error: new SourceError('no-data', `${error.message} (location "${location.id}"; asked for again after ${entry.retryAt})`, { status: 400 }) };
  }

  /** `due`: remembered no-data locations asked for again, in batches of their own so that one
   *  still without data costs one request rather than a search through a whole batch. */
  async function fetchAll(locations: Location[], due: Location[], cycle: Cycle, signal: AbortSignal | undefined): Promise<LocationResult[]> {
    const results: LocationResult[] = [];
    const plan = {
      base: baseUrl, variables: config.variables, apiKey, maxLocations: MAX_LOCATIONS_PER_REQUEST,
      ...(budget ? { maxLocationsByBudget: Math.floor(budget.limits.minute / locationWeight(variablesWeighed)) } : {}),
    };
    const dueIds = new Set(due.map((location) => location.id));
    const batches = [...planBatches(locations.filter((location) => !dueIds.has(location.id)), plan), ...planBatches(due, plan)];
    for (const batch of batches) {
      signal?.throwIfAborted();
      results.push(...await collectWithSplits(batch, {
        send: (part) => sendBatch(part, cycle, signal),
        markNoData,
        failAll,
        gaveUp: (error) => new SourceError(error.kind, `${error.message} (not narrowed down: ${MAX_EXTRA_REQUESTS} extra requests used)`, { status: 400 }),
      }));
    }
    return results;
  }

  return {
    ...(budget ? { budget } : {}),
    async fetchCurrent(locations, signal) {
      signal?.throwIfAborted();
      const cycle: Cycle = { skipped: { batches: 0, locations: 0 } };
      const known = await noData.known(locations);
      const byId = new Map<string, LocationResult>();
      for (const location of locations) {
        const entry = known.get(location.id);
        if (entry) byId.set(location.id, { location, ok: false, error: new SourceError('no-data', `${entry.reason} (location "${location.id}"; asked for again after ${entry.retryAt})`, { status: 400 }) });
      }
      const asked = locations.filter((location) => !known.has(location.id));
      for (const result of await fetchAll(asked, await noData.due(asked), cycle, signal)) byId.set(result.location.id, result);
      await noData.forget(asked.filter((location) => byId.get(location.id)?.ok));
      const { skipped } = cycle;
      if (skipped.reason) {
        logger.warn(LogEvents.skippedBackingOff, {
          ...logTarget, kind: skipped.reason.kind, batches: skipped.batches, locations: skipped.locations, error: skipped.reason.message,
        });
      }
      return locations.map((location) => byId.get(location.id) ?? { location, ok: false, error: new SourceError('bad-body', 'no result') });
    },
  };
}
