// What a site's config spends of the free Open-Meteo budget: locations x variables x schedule.
// Used by `validate` (a config rule) and `doctor`; budget.ts holds the server's counting rules.
import type { OpenMeteoConfig } from '../../config/types.ts';
import { FREE_LIMITS, locationWeight, type BudgetLimits } from './budget.ts';
import { countDailyRuns } from './cron-runs.ts';

export interface SiteBudget {
  callsPerCycle: number;
  /** Whole minutes one cycle needs when no minute may exceed the per-minute limit. */
  minutesPerCycle: number;
  runsPerDay: number;
  maxRunsPerHour: number;
  minGapSeconds: number;
  callsPerHour: number;
  callsPerDay: number;
  limits: BudgetLimits;
}

/**
 * Variables as the server weighs them: variables x weather models (`models=` in open_meteo.url),
 * `nVariablesTimesDomains` in ForecastApiResult.swift.
 */
export function weightedVariables(config: Pick<OpenMeteoConfig, 'variables' | 'url'>): number {
  const models = new URL(config.url).searchParams.get('models');
  const modelCount = models ? models.split(',').filter((name) => name.trim() !== '').length : 1;
  return config.variables.length * Math.max(1, modelCount);
}

export function estimateSiteBudget(locations: number, config: { variables: number; schedule: string }, limits = FREE_LIMITS): SiteBudget | undefined {
  const runs = countDailyRuns(config.schedule);
  if (!runs) return undefined;
  const callsPerCycle = round(locations * locationWeight(config.variables));
  return {
    callsPerCycle,
    minutesPerCycle: Math.max(1, Math.ceil(callsPerCycle / limits.minute)),
    runsPerDay: runs.perDay,
    maxRunsPerHour: runs.maxPerHour,
    minGapSeconds: runs.minGapSeconds,
    callsPerHour: round(callsPerCycle * runs.maxPerHour),
    callsPerDay: round(callsPerCycle * runs.perDay),
    limits,
  };
}

const round = (value: number) => Math.round(value * 10) / 10;
const FIXES = 'fix: fewer locations or variables, or a less frequent open_meteo.schedule; or the commercial endpoint '
  + '(url = https://customer-api.open-meteo.com/v1/forecast with open_meteo.api_key), which has no per-address limit';

/** One line with the numbers, for doctor and the budget messages. */
export function describeSiteBudget(budget: SiteBudget, locations: number, variables: number): string {
  return `${locations} location(s) x ${variables} variable(s) = ${budget.callsPerCycle} call(s) per cycle `
    + `(each location costs max(1, variables/10) calls), ${budget.runsPerDay} cycle(s) per day: `
    + `${budget.callsPerHour} call(s) in the busiest hour (limit ${budget.limits.hour}), ${budget.callsPerDay} per day (limit ${budget.limits.day})`;
}

/** The problem with a site's budget on the free API, or undefined when it fits. */
export function budgetProblem(budget: SiteBudget, locations: number, variables: number): { severity: 'error' | 'warning'; message: string } | undefined {
  const numbers = describeSiteBudget(budget, locations, variables);
  const { limits } = budget;
  if (budget.callsPerDay > limits.day) return { severity: 'error', message: `${numbers}: over the free API's daily limit of ${limits.day} calls; ${FIXES}` };
  if (budget.callsPerHour > limits.hour) return { severity: 'error', message: `${numbers}: over the free API's hourly limit of ${limits.hour} calls; ${FIXES}` };
  if (budget.minutesPerCycle * 60 > budget.minGapSeconds) {
    return {
      severity: 'error',
      message: `${numbers}: one cycle needs ${budget.minutesPerCycle} minute(s) at the free API's ${limits.minute} calls per minute, but the schedule runs every ${budget.minGapSeconds} s; ${FIXES}`,
    };
  }
  const share = Math.max(budget.callsPerDay / limits.day, budget.callsPerHour / limits.hour);
  if (share > 0.8) {
    return { severity: 'warning', message: `${numbers}: ${Math.round(share * 100)}% of the free API's limit, little room for retries or other programs on this address; ${FIXES}` };
  }
  return undefined;
}
