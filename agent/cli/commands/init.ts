// `init`: creates the storage and log folders (idempotent) and proves they are writable by
// writing and removing a probe file, as the account that runs the command.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, probeWrite } from '../../config/folders.ts';
import type { AgentConfig } from '../../config/types.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut, writeErr } from '../terminal.ts';

export async function runInit(config: AgentConfig): Promise<ExitCodeValue> {
  const folders = [
    join(config.storage.dir, 'temp'),
    join(config.storage.dir, 'dump'),
    join(config.storage.dir, 'state'),
    config.logging.dir,
  ];
  let failures = 0;
  for (const folder of folders) {
    // The probe `validate` uses (config/folders.ts), so both say the same about a folder.
    const code = await mkdir(folder, { recursive: true }).then(() => probeWrite(folder), errorCode);
    if (code === null) {
      writeOut(`ok    ${folder}\n`);
    } else {
      failures += 1;
      writeErr(`FAIL  ${folder}: ${code}: cannot create or write here. Give the account that runs the agent write access, or change [storage] dir / [logging] dir in ${config.file}.\n`);
    }
  }
  return failures === 0 ? ExitCode.ok : ExitCode.failed;
}
