// Reads the Windows service state from `nssm status` (SERVICE_RUNNING, ...) or, where NSSM is not
// at hand (doctor on a machine without it), from `sc query`. Pure parsers plus one query function
// that never throws.
import { WINDOWS } from '../layout.ts';
import { runCommand, type CommandRunner, type CommandResult } from '../runner.ts';
import type { ServiceStatus } from '../types.ts';
import { nssmCandidates } from './nssm-locate.ts';
import { nssmStatusArgs } from './nssm-commands.ts';

const STATES: Record<string, string> = {
  SERVICE_STOPPED: 'stopped',
  SERVICE_START_PENDING: 'starting',
  SERVICE_STOP_PENDING: 'stopping',
  SERVICE_RUNNING: 'running',
  SERVICE_CONTINUE_PENDING: 'resuming',
  SERVICE_PAUSE_PENDING: 'pausing',
  SERVICE_PAUSED: 'paused',
};

export function parseNssmStatus(result: Pick<CommandResult, 'code' | 'stdout' | 'stderr'>): ServiceStatus {
  const word = result.stdout.trim().split(/\s+/)[0] ?? '';
  const state = STATES[word];
  if (result.code !== 0 || state === undefined) {
    const said = (result.stderr.trim() || result.stdout.trim()).split(/\r?\n/)[0] ?? '';
    return notInstalled(said ? `NSSM says: ${said}` : 'NSSM does not know the service');
  }
  return { manager: 'windows-scm', name: WINDOWS.name, installed: true, running: word === 'SERVICE_RUNNING', detail: `${WINDOWS.name} is ${state}.` };
}

/** `sc query <name>` output: "STATE : 4  RUNNING"; exit 1060 when the service does not exist. */
export function parseScQuery(result: Pick<CommandResult, 'code' | 'stdout'>): ServiceStatus {
  const match = result.stdout.match(/STATE\s*:\s*\d+\s+(\w+)/);
  if (result.code !== 0 || !match?.[1]) return notInstalled(`sc query exited with ${result.code ?? 'a signal'}`);
  const state = match[1].toLowerCase();
  return { manager: 'windows-scm', name: WINDOWS.name, installed: true, running: state === 'running', detail: `${WINDOWS.name} is ${state.replace(/_/g, ' ')}.` };
}

function notInstalled(reason: string): ServiceStatus {
  return { manager: 'windows-scm', name: WINDOWS.name, installed: false, running: false, detail: `${WINDOWS.name} is not installed (${reason}); install it with: datapipe-agent service install -c <config.ini>.` };
}

export async function queryWindowsStatus(runner: CommandRunner = runCommand): Promise<ServiceStatus> {
  for (const nssm of nssmCandidates()) {
    const result = await runner(nssm, nssmStatusArgs());
    if (!result.missing) return parseNssmStatus(result);
  }
  const sc = await runner('sc.exe', ['query', WINDOWS.name]);
  if (sc.missing) return { manager: 'none', name: WINDOWS.name, installed: false, running: false, detail: 'Neither NSSM nor sc.exe could be run, so the service manager could not be asked.' };
  return parseScQuery(sc);
}
