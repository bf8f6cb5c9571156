// `once`: one collection cycle, its upload, one dump retry pass, then exit. For commissioning and
// for schedulers that start the agent themselves. Exit 0 only if everything collected is in S3,
// every location was collected, the dump is empty and nothing is quarantined; otherwise the reason goes to stderr.
import type { AgentConfig } from '../../config/types.ts';
import type { CycleResult } from '../../jobs/collect.ts';
import { withLockedRuntime } from '../../jobs/runtime.ts';
import type { AgentState } from '../../state/status-store.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr, writeOut } from '../terminal.ts';

export async function runOnce(config: AgentConfig, options: { console: boolean }): Promise<ExitCodeValue> {
  return withLockedRuntime(config, 'once', options, async (runtime) => {
    await runtime.recover();
    const cycle = await runtime.collect();
    const drain = await runtime.drain();
    const state = await runtime.store.read();
    if (cycle.outcome === 'skipped') {
      writeErr(`Collection skipped: ${cycle.reason ?? 'see the log'}.\n`);
      return ExitCode.failed;
    }
    if (cycle.delivery !== 'uploaded' || drain.remaining > 0) {
      writeErr(`Not everything is in S3: this cycle's file was ${cycle.delivery}; ${drain.remaining} file(s) remain in the dump.${reasonText(state.lastError)}\n`);
      return ExitCode.failed;
    }
    const quarantined = (await runtime.spool.quarantine.list()).length;
    if (quarantined > 0) {
      writeErr(`This cycle was delivered, but ${quarantined} entr${quarantined === 1 ? 'y is' : 'ies are'} in the quarantine folder ${runtime.spool.quarantine.dir} and not sent. See the reasons with \`datapipe-agent requeue -c ${config.file}\`.\n`);
      return ExitCode.failed;
    }
    if (cycle.locationsFailed > 0) {
      writeErr(`Delivered, but ${cycle.locationsFailed} location(s) could not be collected: ${cycle.failedLocations.join(', ')}.${reasonText(state.lastError)}\n`);
      return ExitCode.partial;
    }
    writeOut(`OK: ${describeDelivered(cycle)} (${cycle.file}); dump empty.\n`);
    return ExitCode.ok;
  });
}

/** The one rule for the reason on stderr, whichever stage failed (S3 or Open-Meteo). */
function reasonText(error: AgentState['lastError']): string {
  if (!error) return ' See the log for the reason.';
  return ` Last error: ${error.component} ${error.errorClass}: ${error.message}${error.hint ? ` Fix: ${error.hint}` : ''}`;
}

/** What went up: new observations, or only the status record when the values had not changed. */
function describeDelivered(cycle: CycleResult): string {
  const fresh = cycle.newObservations ?? cycle.locationsOk;
  if (fresh === cycle.locationsOk) return `${cycle.locationsOk} location(s) collected and uploaded`;
  const unchanged = `${cycle.locationsOk - fresh} unchanged since the last cycle (Open-Meteo publishes new current values every 15 minutes)`;
  if (fresh === 0) return `${cycle.locationsOk} location(s) polled, no new observations (${unchanged}); only the status record was uploaded`;
  return `${cycle.locationsOk} location(s) polled, ${fresh} new observation(s) uploaded, ${unchanged}`;
}
