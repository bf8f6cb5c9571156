// The free Open-Meteo API's call budget, as the server counts it, and the agent's own ledger of
// what it has spent, so a cycle never sends what the server would answer with 429.
//
// How the server counts (open-meteo/open-meteo, Sources/App/Helper/Vapor/RateLimiter.swift and
// Sources/App/Helper/Writer/ForecastApiResult.swift `calculateQueryWeight`, ApiKeyManager.swift
// `withApiParameter`):
// - each location in a request weighs max(1, variables / 10) calls (a float: 15 variables = 1.5);
// - per IP: 600 calls per minute, 5,000 per hour, 10,000 per day; the counters are cleared every
//   minute, on the hour and at 00:00 UTC; a request is refused (429, no Retry-After) while a
//   counter is already at its limit;
// - an answered error (400) costs 1 call; a 429 itself costs nothing; only hosts ending in
//   open-meteo.com without the `customer-` prefix are counted (the commercial host counts per key);
// - one request heavier than the hourly limit is refused with 400 "requests too much data".
//
// The ledger is stricter than the server so that clock skew between the two cannot cause a 429:
// the minute is a rolling 60 s window (batches that fill it go at least a minute apart), the hour
// and day are the server's UTC calendar windows. It lives in state/open-meteo-budget.json so that
// `once` runs, restarts and `status` see the same numbers.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BudgetLimits {
  minute: number;
  hour: number;
  day: number;
}

export const FREE_LIMITS: BudgetLimits = { minute: 600, hour: 5000, day: 10_000 };
/** Locations one request may carry. Here, not in source.ts, so config rules can read it without
 *  loading the HTTP client. */
export const MAX_LOCATIONS_PER_REQUEST = 1000;
export const BUDGET_FILE = 'open-meteo-budget.json';
const MINUTE_MS = 60_000;

export type BudgetWindow = 'minute' | 'hour' | 'day';

/** Calls one location costs: max(1, variables / 10), as the server computes it. */
export function locationWeight(variableCount: number): number {
  return Math.max(1, variableCount / 10);
}

export function requestWeight(locations: number, variableCount: number): number {
  return locations * locationWeight(variableCount);
}

/** Whether the server counts calls from this address against the free budget (see file head). */
export function isFreeHost(hostname: string): boolean {
  return hostname.endsWith('open-meteo.com') && !hostname.startsWith('customer-');
}

/** Start of the window after the one `now` is in: when that budget is refilled. */
export function windowResetsAt(window: Exclude<BudgetWindow, 'minute'>, now: Date): Date {
  const next = new Date(now);
  if (window === 'hour') next.setUTCMinutes(60, 0, 0);
  else next.setUTCHours(24, 0, 0, 0);
  return next;
}

interface LedgerState {
  hour: string;
  hourCalls: number;
  day: string;
  dayCalls: number;
  /** Calls of the last minute: [epoch ms, calls]. */
  recent: [number, number][];
}

export interface BudgetUse {
  minute: number;
  hour: number;
  day: number;
  limits: BudgetLimits;
}

export type BudgetDecision =
  | { go: true }
  /** The minute window is full: wait until `at`, then ask again. */
  | { go: false; wait: true; at: Date }
  /** The hour or day budget is spent: no request until `resetsAt`. */
  | { go: false; wait: false; window: 'hour' | 'day'; resetsAt: Date; used: number; limit: number };

export interface CallBudget {
  readonly limits: BudgetLimits;
  decide(calls: number): Promise<BudgetDecision>;
  record(calls: number): Promise<void>;
  use(): Promise<BudgetUse>;
}

const hourKey = (at: Date) => at.toISOString().slice(0, 13);
const dayKey = (at: Date) => at.toISOString().slice(0, 10);

function emptyLedger(at: Date): LedgerState {
  return { hour: hourKey(at), hourCalls: 0, day: dayKey(at), dayCalls: 0, recent: [] };
}

/** The ledger as of `at`: windows that have ended are emptied. */
function rollOver(state: LedgerState, at: Date): LedgerState {
  // Entries "from the future" mean the clock was set back: drop them rather than wait for them.
  const next = { ...state, recent: state.recent.filter(([time]) => at.getTime() - time < MINUTE_MS && time <= at.getTime()) };
  if (next.day !== dayKey(at)) Object.assign(next, { day: dayKey(at), dayCalls: 0 });
  if (next.hour !== hourKey(at)) Object.assign(next, { hour: hourKey(at), hourCalls: 0 });
  return next;
}

function isLedger(value: unknown): value is LedgerState {
  const v = value as LedgerState;
  return typeof v === 'object' && v !== null && typeof v.hour === 'string' && typeof v.day === 'string'
    && Number.isFinite(v.hourCalls) && Number.isFinite(v.dayCalls) && Array.isArray(v.recent);
}

/** Reads the ledger a previous process left, or an empty one (missing or damaged file). */
export async function readBudgetFile(stateDir: string, at: Date): Promise<LedgerState> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(stateDir, BUDGET_FILE), 'utf8'));
    return rollOver(isLedger(parsed) ? parsed : emptyLedger(at), at);
  } catch {
    return emptyLedger(at);
  }
}

export function useOf(state: LedgerState, limits: BudgetLimits): BudgetUse {
  const minute = state.recent.reduce((sum, [, calls]) => sum + calls, 0);
  return { minute, hour: state.hourCalls, day: state.dayCalls, limits };
}

export interface CallBudgetOptions {
  limits: BudgetLimits;
  now: () => Date;
  /** Where the ledger is kept; in memory only when absent. */
  stateDir?: string;
}

export function createCallBudget(options: CallBudgetOptions): CallBudget {
  const { limits, now } = options;
  let state: LedgerState | undefined;
  const load = async (): Promise<LedgerState> => {
    const at = now();
    state = state ? rollOver(state, at) : options.stateDir ? await readBudgetFile(options.stateDir, at) : emptyLedger(at);
    return state;
  };
  const save = async (): Promise<void> => {
    if (!options.stateDir || !state) return;
    await mkdir(options.stateDir, { recursive: true });
    const file = join(options.stateDir, BUDGET_FILE);
    await writeFile(`${file}.tmp`, JSON.stringify(state));
    await rename(`${file}.tmp`, file);
  };

  return {
    limits,
    async decide(calls) {
      const current = await load();
      const at = now();
      if (current.dayCalls + calls > limits.day) {
        return { go: false, wait: false, window: 'day', resetsAt: windowResetsAt('day', at), used: current.dayCalls, limit: limits.day };
      }
      if (current.hourCalls + calls > limits.hour) {
        return { go: false, wait: false, window: 'hour', resetsAt: windowResetsAt('hour', at), used: current.hourCalls, limit: limits.hour };
      }
      // Wait until enough of the last minute's calls have aged out for this batch to fit.
      let minute = useOf(current, limits).minute;
      for (const [time, spent] of current.recent) {
        if (minute + calls <= limits.minute) break;
        minute -= spent;
        if (minute + calls <= limits.minute) return { go: false, wait: true, at: new Date(time + MINUTE_MS + 1000) };
      }
      return { go: true };
    },
    async record(calls) {
      if (calls <= 0) return;
      const current = await load();
      current.hourCalls += calls;
      current.dayCalls += calls;
      current.recent.push([now().getTime(), calls]);
      await save();
    },
    async use() {
      return useOf(await load(), limits);
    },
  };
}
