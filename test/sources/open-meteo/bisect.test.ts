// Narrowing down a refused batch: which parts are asked for, and the cap on extra requests.
import { describe, expect, it } from 'vitest';
import type { Location } from '../../../agent/config/types.ts';
import { SourceError } from '../../../agent/errors.ts';
import { collectWithSplits, MAX_EXTRA_REQUESTS, type SendOutcome } from '../../../agent/sources/open-meteo/bisect.ts';

type Result = { id: string; outcome: 'ok' | 'no-data' | 'failed'; note?: string };

const locations = (count: number): Location[] => Array.from({ length: count }, (_, i) => ({ id: `l${i}`, name: `l${i}`, latitude: i, longitude: 0 }));
const refusal = new SourceError('no-data', 'No data is available for this location', { status: 400 });

/** A server refusing every request that holds one of `bad`; `because` is what the refusal says. */
function server(bad: Set<string>, because: 'no-data' | 'too-much-data' = 'no-data', heavierThan = Number.POSITIVE_INFINITY) {
  const sent: number[] = [];
  const send = async (batch: Location[]): Promise<SendOutcome<Result>> => {
    sent.push(batch.length);
    const refused = because === 'no-data' ? batch.some((l) => bad.has(l.id)) : batch.length > heavierThan;
    if (refused) return { kind: 'split', error: refusal, because };
    return { kind: 'ok', results: batch.map((l) => ({ id: l.id, outcome: 'ok' })) };
  };
  const deps = {
    send,
    markNoData: async (location: Location) => ({ id: location.id, outcome: 'no-data' as const }),
    failAll: (batch: Location[], error: SourceError) => batch.map((l) => ({ id: l.id, outcome: 'failed' as const, note: error.message })),
    gaveUp: (error: SourceError) => new SourceError(error.kind, `${error.message} (gave up)`),
  };
  return { sent, deps };
}

describe('collectWithSplits', () => {
  it.each([0, 1, 499, 500, 737, 998, 999])('finds bad location %i among 1,000 with at most 11 extra requests, one result each', async (index) => {
    const all = locations(1000);
    const { sent, deps } = server(new Set([`l${index}`]));
    const results = await collectWithSplits(all, deps);
    expect(results.map((r) => r.id).sort()).toEqual(all.map((l) => l.id).sort());
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([{ id: `l${index}`, outcome: 'no-data' }]);
    expect(sent.length - 1).toBeLessThanOrEqual(11);
  });

  it('finds two bad locations', async () => {
    const { sent, deps } = server(new Set(['l3', 'l900']));
    const results = await collectWithSplits(locations(1000), deps);
    expect(results.filter((r) => r.outcome === 'no-data').map((r) => r.id)).toEqual(['l3', 'l900']);
    expect(results.filter((r) => r.outcome === 'ok')).toHaveLength(998);
    expect(sent.length - 1).toBeLessThanOrEqual(MAX_EXTRA_REQUESTS);
  });

  it('stops after MAX_EXTRA_REQUESTS and fails what it could not narrow down', async () => {
    const bad = new Set(locations(1000).filter((_, i) => i % 50 === 0).map((l) => l.id));
    const { sent, deps } = server(bad);
    const results = await collectWithSplits(locations(1000), deps);
    expect(sent.length - 1).toBe(MAX_EXTRA_REQUESTS);
    expect(results).toHaveLength(1000);
    expect(results.some((r) => r.outcome === 'failed' && r.note?.endsWith('(gave up)'))).toBe(true);
  });

  it('halves a too heavy request without guessing that the other half is bad', async () => {
    const { sent, deps } = server(new Set(), 'too-much-data', 300);
    const results = await collectWithSplits(locations(1000), deps);
    expect(results.every((r) => r.outcome === 'ok')).toBe(true);
    expect(sent).toEqual([1000, 500, 250, 250, 500, 250, 250]);
    expect(results).toHaveLength(1000);
  });
});
