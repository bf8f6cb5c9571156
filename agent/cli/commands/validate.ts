// `validate`: every problem on its own line as `<file>:<line>: <section>.<key>: <message>`.
// Exit 0 when valid (warnings allowed), 2 when not.
import { formatConfigProblem } from '../../errors.ts';
import { validateConfigFile } from '../../config/load.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut } from '../terminal.ts';

export async function runValidate(file: string): Promise<ExitCodeValue> {
  const { config, problems } = await validateConfigFile(file);
  for (const problem of problems) writeOut(`${formatConfigProblem(problem)}\n`);
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (errors > 0 || !config) {
    writeOut(`${file}: invalid: ${errors} error(s), ${warnings} warning(s).\n`);
    return ExitCode.invalidConfig;
  }
  writeOut(
    `${file}: valid (${warnings} warning(s)): customer ${config.customer.id}, ${config.locations.length} location(s), ` +
      `bucket ${config.s3.bucket}, storage ${config.storage.dir}.\n`,
  );
  return ExitCode.ok;
}
