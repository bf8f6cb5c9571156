// Cuts a cycle's locations into requests: at most 1,000 locations (the free API's limit per
// request), at most one minute's worth of the call budget when the free budget applies, and a
// request URL of at most MAX_URL_BYTES, because proxies and gateways commonly refuse request
// lines over 8 KB (a GET for 1,000 locations is about 22 KB) with 414 or 400.
import type { Location } from '../../config/types.ts';
import { buildBatchUrl } from './request.ts';

/** The longest request URL the agent sends (absolute form, as a proxy sees it): under 8 KiB with room for "GET ", " HTTP/1.1". */
export const MAX_URL_BYTES = 8000;
/** Separator between coordinates in the query, as URLSearchParams writes it (%2C). */
const SEPARATOR_BYTES = 3;

export interface BatchPlan {
  base: URL;
  variables: string[];
  apiKey: string | undefined;
  maxLocations: number;
  /** Most locations one request may carry by the minute budget; no limit when undefined. */
  maxLocationsByBudget?: number;
  maxUrlBytes?: number;
}

export function planBatches(locations: Location[], plan: BatchPlan): Location[][] {
  const maxUrlBytes = plan.maxUrlBytes ?? MAX_URL_BYTES;
  const maxLocations = Math.max(1, Math.min(plan.maxLocations, plan.maxLocationsByBudget ?? Number.POSITIVE_INFINITY));
  const fixedBytes = buildBatchUrl(plan.base, [], plan.variables, plan.apiKey).href.length;
  const batches: Location[][] = [];
  let batch: Location[] = [];
  let bytes = fixedBytes;
  for (const location of locations) {
    const coordinateBytes = String(location.latitude).length + String(location.longitude).length;
    const added = coordinateBytes + (batch.length > 0 ? 2 * SEPARATOR_BYTES : 0);
    if (batch.length > 0 && (batch.length >= maxLocations || bytes + added > maxUrlBytes)) {
      batches.push(batch);
      batch = [];
      bytes = fixedBytes + coordinateBytes;
    } else {
      bytes += added;
    }
    batch.push(location);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Two halves of a batch, for finding the location a whole request failed on. */
export function halve<T>(items: T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}
