// `status`: what support staff ask first. Text for people, --json for scripts and bundles.
// With a config that does not validate, support needs status most: the problems are listed (by
// the caller) and what the state folder knows is shown anyway, read from the [storage] dir the
// file names (or the default), with exit code 2.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'ini';
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
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : note + formatStatusReport(report));
  return ExitCode.invalidConfig;
}

/** [storage] dir and [customer] id as written (relative to the config file, as the loader does). */
async function readStatusInput(file: string): Promise<StatusInput> {
  let sections: Record<string, Record<string, unknown> | undefined> = {};
  try {
    sections = parse(await readFile(file, 'utf8')) as typeof sections;
  } catch {
    // Unreadable: the default folder is still worth a look.
  }
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const locations = Object.keys(sections['locations'] ?? {}).map((id) => ({ id, name: id }));
  return {
    file: resolve(file),
    storage: { dir: resolve(dirname(resolve(file)), text(sections['storage']?.['dir']) ?? './var') },
    customer: { id: text(sections['customer']?.['id']) ?? '(unknown: config invalid)' },
    locations,
  };
}
