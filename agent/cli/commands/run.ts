// `run`: the service. The loop itself (signals, schedules, disk-full wait, shutdown grace) is
// agent/jobs/service-loop.ts; this command only maps how it stopped to the exit code. Every way it
// stops is a requested stop, so a service manager sees 0; errors it throws are mapped by cli/main.ts.
import type { AgentConfig } from '../../config/types.ts';
import { runServiceLoop, type ServiceOutcome } from '../../jobs/service-loop.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr } from '../terminal.ts';

const EXIT_CODES: Record<ServiceOutcome, ExitCodeValue> = {
  stopped: ExitCode.ok,
  late: ExitCode.ok,
  waitingForDisk: ExitCode.ok,
};

export async function runService(config: AgentConfig, options: { console: boolean }): Promise<ExitCodeValue> {
  return EXIT_CODES[await runServiceLoop(config, { console: options.console, writeErr })];
}
