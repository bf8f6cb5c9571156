// Doctor's view of the free Open-Meteo API budget: what the config spends (locations x variables x
// schedule, as `validate` computes it) and what the agent's ledger says is used right now.
import { join } from 'node:path';
import type { AgentConfig } from '../config/types.ts';
import { FREE_LIMITS, readBudgetFile, useOf, type BudgetUse } from '../sources/open-meteo/budget.ts';
import { budgetProblem, describeSiteBudget, estimateSiteBudget, weightedVariables } from '../sources/open-meteo/site-budget.ts';
import { fail, pass, warn, type CheckResult } from './types.ts';

const ID = 'open-meteo.budget';
const TITLE = "Open-Meteo: the free API's call budget";

export function describeBudgetUse(use: BudgetUse): string {
  return `used now: ${use.minute} of ${use.limits.minute} calls in the last minute, ${use.hour} of ${use.limits.hour} this hour, ${use.day} of ${use.limits.day} today (UTC)`;
}

export async function checkOpenMeteoBudget(config: AgentConfig, now: Date): Promise<CheckResult> {
  if (config.openMeteo.callBudget !== 'free') return pass(ID, TITLE, `not counted: ${new URL(config.openMeteo.url).host} has no per-address limit (call_budget = none)`);
  const variables = weightedVariables(config.openMeteo);
  const site = estimateSiteBudget(config.locations.length, { variables, schedule: config.openMeteo.schedule });
  const use = useOf(await readBudgetFile(join(config.storage.dir, 'state'), now), FREE_LIMITS);
  const detail = `${site ? describeSiteBudget(site, config.locations.length, variables) : 'the schedule cannot be counted'}; ${describeBudgetUse(use)}`;
  const problem = site && budgetProblem(site, config.locations.length, variables);
  if (problem?.severity === 'error') return fail(ID, TITLE, detail, problem.message);
  if (problem) return warn(ID, TITLE, detail, problem.message);
  if (use.hour >= use.limits.hour || use.day >= use.limits.day) {
    return warn(ID, TITLE, detail, 'The budget is spent for now; the agent waits for the reset by itself. Another program on this address may share it.');
  }
  return pass(ID, TITLE, detail);
}
