// One location Open-Meteo has no data for fails the whole request (400 "No data is available for
// this location", open-meteo/open-meteo Sources/App/Helper/ForecastapiQuery.swift), and so does a
// request the free API finds too heavy (400 "...requests too much data...", ApiKeyManager.swift).
// Rather than lose the whole batch every cycle, the batch is halved until the refused part is found.
//
// Finding one bad location among n costs about log2(n) extra requests (10 for 1,000): only the
// first half of each refused part is asked for; when it succeeds, the second half is known to hold
// the bad location without asking (the parent failed), and is halved in turn. A part whose own
// request was refused is treated the same way. A too-heavy request is halved without that
// inference (both halves may be too heavy). Extra requests are capped per batch; each one goes
// through the caller's `send`, so the call budget and back-off apply to it.
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

interface Visit<R> {
  results: R[];
  /** The part's own request succeeded, so it holds no location that fails requests. */
  clean: boolean;
}

type Refusal = { error: SourceError; because: 'no-data' | 'too-much-data' };

/** Results for every location of `batch`, in its order, with refused parts narrowed down. */
export async function collectWithSplits<R>(batch: Location[], deps: SplitDeps<R>): Promise<R[]> {
  let extra = 0;
  /** `known`: the part is known to be refused (not asked again); `parent`: why its parent was. */
  const visit = async (part: Location[], parent: Refusal | undefined, known: boolean): Promise<Visit<R>> => {
    let refusal = known ? parent : undefined;
    if (!refusal) {
      if (parent && extra >= MAX_EXTRA_REQUESTS) return { results: deps.failAll(part, deps.gaveUp(parent.error)), clean: false };
      if (parent) extra += 1;
      const outcome = await deps.send(part);
      if (outcome.kind !== 'split') return { results: outcome.results, clean: outcome.kind === 'ok' };
      refusal = { error: outcome.error, because: outcome.because };
    }
    const [only] = part;
    if (part.length === 1 && only) {
      const results = refusal.because === 'no-data' ? [await deps.markNoData(only, refusal.error)] : deps.failAll(part, refusal.error);
      return { results, clean: false };
    }
    const [first, second] = halve(part);
    const left = await visit(first, refusal, false);
    // The parent was refused and the first half was not: the second half holds the bad location.
    const right = await visit(second, refusal, refusal.because === 'no-data' && left.clean);
    return { results: [...left.results, ...right.results], clean: false };
  };
  return (await visit(batch, undefined, false)).results;
}
