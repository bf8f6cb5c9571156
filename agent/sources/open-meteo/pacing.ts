// Holds each request back until the free API's budget has room for it: waits (inside the cycle)
// for the rolling minute, and answers with an 'over-budget' SourceError, without sending, when the
// hour's or the day's budget is spent. That error is logged once per window, as one error line
// naming the budget and when it resets; the locations of the skipped batches are reported failed.
import { sleepOn, systemClock } from '../../clock.ts';
import { SourceError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import type { CallBudget } from './budget.ts';
import { LogEvents } from '../../log/events.ts';

export type Sleep = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

export interface PacerOptions {
  budget: CallBudget | undefined;
  now: () => Date;
  logger: Logger;
  logTarget: Record<string, string>;
  sleep?: Sleep;
}

export interface Pacer {
  /** Resolves when `calls` may go out, or with the reason they may not before a window resets. */
  waitForRoom(calls: number, signal: AbortSignal | undefined): Promise<SourceError | undefined>;
}

export const realSleep: Sleep = (ms, signal) => sleepOn(systemClock, ms, signal);

const WINDOW_TEXT = { hour: 'hourly', day: 'daily' } as const;

export function createPacer(options: PacerOptions): Pacer {
  const { budget, now, logger, logTarget } = options;
  const sleep = options.sleep ?? realSleep;
  let reportedUntil = 0;
  return {
    async waitForRoom(calls, signal) {
      if (!budget) return undefined;
      for (;;) {
        signal?.throwIfAborted();
        const decision = await budget.decide(calls);
        if (decision.go) return undefined;
        if (decision.wait) {
          const ms = decision.at.getTime() - now().getTime();
          logger.debug(LogEvents.waitingForBudget, { ...logTarget, calls, wait_ms: ms });
          await sleep(ms, signal);
          continue;
        }
        const resets = decision.resetsAt.toISOString();
        const message = `Skipped the Open-Meteo request: the free API's ${WINDOW_TEXT[decision.window]} call budget is spent (${decision.used} of ${decision.limit} calls used, this request needs ${calls}); it resets at ${resets}. Reduce locations, variables or the schedule, or use the commercial endpoint with open_meteo.api_key.`;
        if (decision.resetsAt.getTime() !== reportedUntil) {
          reportedUntil = decision.resetsAt.getTime();
          logger.error(LogEvents.budgetSpent, {
            ...logTarget, budget: decision.window, used: decision.used, limit: decision.limit, calls, resets_at: resets,
          });
        }
        return new SourceError('over-budget', message, { retryAfterSeconds: Math.ceil((decision.resetsAt.getTime() - now().getTime()) / 1000) });
      }
    },
  };
}
