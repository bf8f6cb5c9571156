// `status`: what support staff ask first. Text for people, --json for scripts and bundles.
import type { AgentConfig } from '../../config/types.ts';
import { buildStatusReport, formatStatusReport } from '../../state/status-report.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut } from '../terminal.ts';

export async function runStatus(config: AgentConfig, options: { json: boolean }): Promise<ExitCodeValue> {
  const report = await buildStatusReport(config);
  writeOut(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report));
  return ExitCode.ok;
}
