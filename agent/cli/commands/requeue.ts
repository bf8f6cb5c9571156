// `requeue`: sends quarantined files again. The quarantine (<storage.dir>/quarantine/, see
// agent/spool/quarantine.ts) holds what the agent set aside instead of sending; once a person has
// fixed the cause (S3 now accepts the size, the file was restored from a backup), `requeue` moves
// the file back into dump/ and the next retry pass sends it. Without a file name it lists the
// quarantine. It does not take the storage lock: moving a file into dump/ is safe while `run` is
// running, so the service need not be stopped.
import type { AgentConfig } from '../../config/types.ts';
import { createSpool } from '../../spool/spool.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr, writeOut } from '../terminal.ts';

export async function runRequeue(config: AgentConfig, options: { files: string[]; all: boolean }): Promise<ExitCodeValue> {
  const spool = createSpool(config.storage.dir);
  const entries = await spool.quarantine.list();
  if (options.files.length === 0 && !options.all) {
    if (entries.length === 0) {
      writeOut(`The quarantine folder ${spool.quarantine.dir} is empty.\n`);
      return ExitCode.ok;
    }
    writeOut(`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} in ${spool.quarantine.dir}:\n`);
    for (const entry of entries) {
      writeOut(`  ${entry.name}\n    ${entry.reason ? `${entry.reason.at} ${entry.reason.code} (from ${entry.reason.from}/): ${entry.reason.message}` : 'no reason file'}\n`);
    }
    writeOut('Send one again with `datapipe-agent requeue -c <config> <name>`, or all with --all, once the cause is fixed.\n');
    return ExitCode.ok;
  }
  await spool.prepare();
  const names = options.all ? entries.filter((entry) => entry.reason?.from !== 'packs').map((entry) => entry.name) : options.files;
  let failed = 0;
  for (const name of names) {
    try {
      await spool.quarantine.requeue(name, spool.dumpDir);
      writeOut(`Requeued ${name}: the next retry pass sends it (a file whose bytes still do not match its name goes back to the quarantine).\n`);
    } catch (error) {
      failed += 1;
      writeErr(`Not requeued: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  if (names.length === 0) writeOut('Nothing to requeue.\n');
  return failed === 0 ? ExitCode.ok : ExitCode.failed;
}
