// `doctor`: the commissioning self-test. Prints the PASS/WARN/FAIL checklist (or --json) and
// exits 1 when any check FAILed, 0 otherwise (warnings allowed). An invalid config is a FAIL line
// here, not exit 2: the checklist is the answer the technician wants.
import { runDoctorChecks, formatDoctorReport } from '../../doctor/run-checks.ts';
import type { ServiceStatus } from '../../service/types.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut } from '../terminal.ts';

export async function runDoctor(configFile: string, options: { json: boolean }): Promise<ExitCodeValue> {
  const report = await runDoctorChecks(configFile, { queryService: queryServiceStatus });
  writeOut(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  return report.summary.FAIL > 0 ? ExitCode.failed : ExitCode.ok;
}

async function queryServiceStatus(): Promise<ServiceStatus> {
  const service = await import('../../service/index.ts');
  return service.queryServiceStatus();
}
