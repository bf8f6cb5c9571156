// The free API's budget as the server counts it, the cron run counter and the site estimate.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallBudget, FREE_LIMITS, isFreeHost, locationWeight, requestWeight } from '../../../agent/sources/open-meteo/budget.ts';
import { countDailyRuns } from '../../../agent/sources/open-meteo/cron-runs.ts';
import { budgetProblem, estimateSiteBudget } from '../../../agent/sources/open-meteo/site-budget.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('weights', () => {
  it.each([[1, 1], [10, 1], [15, 1.5], [20, 2], [25, 2.5]])('%i variables cost %d per location', (variables, weight) => {
    expect(locationWeight(variables)).toBe(weight);
  });
  it('multiplies by the locations', () => expect(requestWeight(1000, 15)).toBe(1500));
  it('counts only the free host', () => {
    expect(isFreeHost('api.open-meteo.com')).toBe(true);
    expect(isFreeHost('customer-api.open-meteo.com')).toBe(false);
    expect(isFreeHost('127.0.0.1')).toBe(false);
  });
});

describe('countDailyRuns', () => {
  it.each([
    ['*/15 * * * *', { perDay: 96, maxPerHour: 4, minGapSeconds: 900 }],
    ['0 */3 * * *', { perDay: 8, maxPerHour: 1, minGapSeconds: 10_800 }],
    ['*/2 * * * * *', { perDay: 43_200, maxPerHour: 1800, minGapSeconds: 2 }],
    ['0 6,18 * * 1-5', { perDay: 2, maxPerHour: 1, minGapSeconds: 43_200 }],
    ['5-10/5 0 * * *', { perDay: 2, maxPerHour: 2, minGapSeconds: 300 }],
    ['0 18,6 * * *', { perDay: 2, maxPerHour: 1, minGapSeconds: 43_200 }],
    ['@daily', { perDay: 1, maxPerHour: 1, minGapSeconds: 86_400 }],
  ])('%s', (expression, expected) => expect(countDailyRuns(expression)).toEqual(expected));
  it('gives up on fields it cannot read', () => expect(countDailyRuns('L * * * *')).toBeUndefined());
});

describe('site estimate', () => {
  it('1,000 locations every 3 hours fit the free API', () => {
    const budget = estimateSiteBudget(1000, { variables: 5, schedule: '0 */3 * * *' });
    expect(budget).toMatchObject({ callsPerCycle: 1000, minutesPerCycle: 2, callsPerDay: 8000, callsPerHour: 1000 });
    expect(budgetProblem(budget!, 1000, 5)).toBeUndefined();
  });
  it('1,000 locations every 15 minutes do not', () => {
    const budget = estimateSiteBudget(1000, { variables: 5, schedule: '*/15 * * * *' })!;
    expect(budgetProblem(budget, 1000, 5)).toMatchObject({ severity: 'error', message: expect.stringContaining('96000 per day (limit 10000)') });
  });
});

describe('createCallBudget', () => {
  it('paces by the rolling minute and stops at the hour and day limits, resetting on the UTC hour and day', async () => {
    let clock = new Date('2026-12-01T10:00:10Z');
    const budget = createCallBudget({ limits: FREE_LIMITS, now: () => clock });
    expect(await budget.decide(600)).toEqual({ go: true });
    await budget.record(600);
    expect(await budget.decide(1)).toEqual({ go: false, wait: true, at: new Date('2026-12-01T10:01:11Z') });
    clock = new Date('2026-12-01T10:01:11Z');
    expect(await budget.decide(600)).toEqual({ go: true });
    for (let i = 0; i < 7; i += 1) await budget.record(600);
    expect(await budget.use()).toMatchObject({ hour: 4800, day: 4800 });
    expect(await budget.decide(300)).toMatchObject({ go: false, wait: false, window: 'hour', resetsAt: new Date('2026-12-01T11:00:00Z'), used: 4800, limit: 5000 });
    clock = new Date('2026-12-01T11:00:00Z');
    expect(await budget.decide(300)).toEqual({ go: true });
    await budget.record(4800);
    clock = new Date('2026-12-01T12:00:00Z');
    await budget.record(400);
    expect(await budget.decide(1)).toMatchObject({ go: false, wait: false, window: 'day', resetsAt: new Date('2026-12-02T00:00:00Z') });
    clock = new Date('2026-12-02T00:00:00Z');
    expect(await budget.decide(1)).toEqual({ go: true });
  });

  it('does not wait for calls stamped in the future after the clock was set back', async () => {
    let clock = new Date('2026-12-01T10:30:00Z');
    const budget = createCallBudget({ limits: FREE_LIMITS, now: () => clock });
    await budget.record(600);
    clock = new Date('2026-12-01T09:00:00Z');
    expect(await budget.decide(600)).toEqual({ go: true });
  });

  it('keeps its ledger in the state folder across processes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'budget-'));
    dirs.push(dir);
    const clock = new Date('2026-12-01T10:00:10Z');
    await createCallBudget({ limits: FREE_LIMITS, now: () => clock, stateDir: dir }).record(250);
    const again = createCallBudget({ limits: FREE_LIMITS, now: () => clock, stateDir: dir });
    expect(await again.use()).toMatchObject({ minute: 250, hour: 250, day: 250 });
  });
});
