// `once`: one collection cycle, its upload, one dump retry pass, then exit. For commissioning and
// for schedulers that start the agent themselves. Exit 0 only if everything collected is in S3,
// every location was collected, the dump is empty and nothing is quarantined; otherwise the reason goes to stderr.
import type { AgentConfig } from '../../config/types.ts';
import { createRuntime } from '../../jobs/runtime.ts';
import { acquireInstanceLock } from '../../state/instance-lock.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr, writeOut } from '../terminal.ts';

export async function runOnce(config: AgentConfig, options: { console: boolean }): Promise<ExitCodeValue> {
  const lock = await acquireInstanceLock(config.storage.dir, 'once');
  const runtime = await createRuntime(config, options);
  try {
    await runtime.recover();
    const cycle = await runtime.collect();
    const drain = await runtime.drain();
    const state = await runtime.store.read();
    if (cycle.outcome === 'skipped') {
      writeErr(`Collection skipped: ${cycle.reason ?? 'see the log'}.\n`);
      return ExitCode.failed;
    }
    if (cycle.delivery !== 'uploaded' || drain.remaining > 0) {
      const error = state.lastError;
      writeErr(
        `Not everything is in S3: this cycle's file was ${cycle.delivery}; ${drain.remaining} file(s) remain in the dump.` +
          (error ? ` Last error: ${error.errorClass}: ${error.message}${error.hint ? ` Fix: ${error.hint}` : ''}` : '') + '\n',
      );
      return ExitCode.failed;
    }
    const quarantined = (await runtime.spool.quarantine.list()).length;
    if (quarantined > 0) {
      writeErr(`This cycle was delivered, but ${quarantined} entr${quarantined === 1 ? 'y is' : 'ies are'} in the quarantine folder ${runtime.spool.quarantine.dir} and not sent. See the reasons with \`datapipe-agent requeue -c ${config.file}\`.\n`);
      return ExitCode.failed;
    }
    if (cycle.locationsFailed > 0) {
      const failed = Object.entries(state.locations).filter(([, l]) => l.lastFailureAt && l.lastFailureAt === state.lastCycle?.finishedAt).map(([id]) => id);
      writeErr(`Delivered, but ${cycle.locationsFailed} location(s) could not be collected: ${failed.join(', ')}. See the log for the reason.\n`);
      return ExitCode.partial;
    }
    writeOut(`OK: ${cycle.locationsOk} location(s) collected and uploaded (${cycle.fileName}); dump empty.\n`);
    return ExitCode.ok;
  } finally {
    await runtime.close();
    await lock.release();
  }
}
