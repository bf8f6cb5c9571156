// Loads the config for a command and prints every problem the way `validate` does, so a
// technician sees the same lines whichever command found them.
import { ConfigError, formatConfigProblem } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import type { AgentConfig } from '../config/types.ts';
import { defaultConfigFile } from '../service/layout.ts';

export async function loadConfigOrReport(file: string): Promise<AgentConfig | undefined> {
  try {
    const { config, warnings } = await loadConfig(file);
    for (const warning of warnings) process.stderr.write(`${formatConfigProblem(warning)}\n`);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${formatConfigProblem(problem)}\n`);
    const errors = error.problems.filter((p) => p.severity === 'error').length;
    process.stderr.write(`${errors} error(s) in ${file}; fix them and run 'datapipe-agent validate -c ${file}'.\n`);
    if (file === defaultConfigFile()) process.stderr.write(`(No -c was given, so the default config for this OS was read; pass -c <file> to use another.)\n`);
    return undefined;
  }
}
