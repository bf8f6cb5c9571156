// `status`: what support staff ask first. Text for people, --json for scripts and bundles.
// With a config that does not validate, support needs status most: the problems are listed (by
// the caller) and what the state folder knows is shown anyway, read from the [storage] dir the
// file names (or the default), with exit code 2.
import { readConfigLeniently } from '../../config/lenient-read.ts';
import type { AgentConfig } from '../../config/types.ts';
import { buildStatusReport, formatStatusReport, type StatusInput } from '../../state/status-report.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut } from '../terminal.ts';

export async function runStatus(config: AgentConfig, options: { json: boolean }): Promise<ExitCodeValue> {
  const report = await buildStatusReport(config);
  writeOut(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report));
  return ExitCode.ok;
}

/** Status from the state folder alone, for a config that does not validate. */
export async function runStatusWithInvalidConfig(file: string, options: { json: boolean }): Promise<ExitCodeValue> {
  const input = await readStatusInput(file);
  const report = { ...(await buildStatusReport(input)), configValid: false };
  const note = `Config:       INVALID (the problems are listed above); what the state folder ${input.storage.dir} knows:\n`;
  writeOut(options.json ? `${JSON.stringify(report, null, 2)}\n` : note + formatStatusReport(report));
  return ExitCode.invalidConfig;
}

/** What the config file still says, read the way the loader reads it. */
async function readStatusInput(file: string): Promise<StatusInput> {
  const config = await readConfigLeniently(file);
  return {
    file: config.file,
    storage: { dir: config.storageDir },
    customer: { id: config.customerId ?? '(unknown: config invalid)' },
    locations: config.locationIds.map((id) => ({ id, name: id })),
  };
}
