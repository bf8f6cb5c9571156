// One location Open-Meteo has no data for fails the whole request (400 "No data is available for
// this location", open-meteo/open-meteo Sources/App/Helper/ForecastapiQuery.swift), and so does a
// request the free API finds too heavy (400 "...requests too much data...", ApiKeyManager.swift).
// Rather than lose the whole batch every cycle, the batch is halved until the refused part is found.
//
// Finding one bad location among n costs about log2(n) + 1 extra requests (11 for 1,000): only
// the first half of each refused part is asked for. When it succeeds, the second half is known to
// hold the bad location without asking (the parent was refused) and is halved in turn; when it is
// refused too, the search goes on in it and the second half, most likely clean, waits: all such
// halves are asked for together in one request at the end (and searched the same way should that
// be refused: a second bad location). A too heavy request is halved without these inferences
// (both halves may be too heavy). Extra requests are capped per batch; each goes through the
// caller's `send`, so the call budget and back-off apply to it.
import type { Location } from '../../config/types.ts';
import type { SourceError } from '../../errors.ts';
import { halve } from './batches.ts';

export const MAX_EXTRA_REQUESTS = 24;

export type SendOutcome<R> =
  | { kind: 'ok' | 'failed'; results: R[] }
  /** Refused as a whole for a reason that halving can get around. */
  | { kind: 'split'; error: SourceError; because: 'no-data' | 'too-much-data' };

export interface SplitDeps<R> {
  send(batch: Location[]): Promise<SendOutcome<R>>;
  /** The result for a location proven to have no data. */
  markNoData(location: Location, error: SourceError): Promise<R>;
  failAll(batch: Location[], error: SourceError): R[];
  /** The error for parts left unasked once MAX_EXTRA_REQUESTS is reached. */
  gaveUp(error: SourceError): SourceError;
}

type Refusal = { error: SourceError; because: 'no-data' | 'too-much-data' };

/**
 * Results for every location of `batch` (in no particular order: callers map them back by
 * location), with refused parts narrowed down.
 */
export async function collectWithSplits<R>(batch: Location[], deps: SplitDeps<R>): Promise<R[]> {
  const results: R[] = [];
  let extra = 0;
  let last: Refusal | undefined;

  /** Sends `part`; its results are kept unless it was refused, which is returned. */
  const attempt = async (part: Location[], first = false): Promise<'ok' | 'failed' | Refusal> => {
    if (!first && last && extra >= MAX_EXTRA_REQUESTS) {
      results.push(...deps.failAll(part, deps.gaveUp(last.error)));
      return 'failed';
    }
    if (!first) extra += 1;
    const outcome = await deps.send(part);
    if (outcome.kind !== 'split') {
      results.push(...outcome.results);
      return outcome.kind;
    }
    last = { error: outcome.error, because: outcome.because };
    return last;
  };

  /** `part` was refused for `refusal`. Halves with no bad location found yet go to `deferred`. */
  const search = async (part: Location[], refusal: Refusal, deferred: Location[][]): Promise<void> => {
    const [only] = part;
    if (part.length === 1 && only) {
      results.push(...(refusal.because === 'no-data' ? [await deps.markNoData(only, refusal.error)] : deps.failAll(part, refusal.error)));
      return;
    }
    const [first, second] = halve(part);
    const left = await attempt(first);
    // The parent was refused and its first half was not: the second half holds the bad location.
    if (left === 'ok' && refusal.because === 'no-data') return search(second, refusal, deferred);
    if (typeof left === 'object') {
      if (left.because === 'no-data') {
        // Most likely the other half is clean: ask for it later, together with the other such halves.
        deferred.push(second);
        return search(first, left, deferred);
      }
      await search(first, left, deferred);
    }
    const right = await attempt(second);
    if (typeof right === 'object') await search(second, right, deferred);
  };

  const refused = await attempt(batch, true);
  if (typeof refused !== 'object') return results;
  let deferred: Location[][] = [];
  await search(batch, refused, deferred);
  while (deferred.length > 0) {
    const merged = deferred.flat();
    deferred = [];
    const outcome = await attempt(merged);
    if (typeof outcome === 'object') await search(merged, outcome, deferred);
  }
  return results;
}
