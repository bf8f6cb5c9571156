// `drain`: retry everything in the dump now, pass after pass while passes make progress.
// Exit 0 when the dump is empty and nothing is quarantined; otherwise the reason goes to stderr
// and the files stay.
import type { AgentConfig } from '../../config/types.ts';
import { withLockedRuntime } from '../../jobs/runtime.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr, writeOut } from '../terminal.ts';

export async function runDrain(config: AgentConfig, options: { console: boolean }): Promise<ExitCodeValue> {
  return withLockedRuntime(config, 'drain', options, async (runtime) => {
    await runtime.recover();
    let uploaded = 0;
    for (;;) {
      const pass = await runtime.drain();
      uploaded += pass.uploaded;
      if (pass.remaining === 0) {
        const quarantined = (await runtime.spool.quarantine.list()).length;
        if (quarantined > 0) {
          writeErr(`The dump is empty (${uploaded} file(s) uploaded), but ${quarantined} entr${quarantined === 1 ? 'y is' : 'ies are'} in the quarantine folder ${runtime.spool.quarantine.dir} and not sent. See the reasons with \`datapipe-agent requeue -c ${config.file}\`.\n`);
          return ExitCode.failed;
        }
        writeOut(`OK: dump is empty (${uploaded} file(s) uploaded).\n`);
        return ExitCode.ok;
      }
      if (pass.stoppedBy || pass.uploaded === 0) {
        const stop = pass.stoppedBy;
        writeErr(
          `${pass.remaining} file(s) remain in the dump (${uploaded} uploaded).` +
            (stop ? ` S3 error: ${stop.code}: ${stop.message}${stop.hint ? ` Fix: ${stop.hint}` : ''}` : '') + '\n',
        );
        return ExitCode.failed;
      }
    }
  });
}
