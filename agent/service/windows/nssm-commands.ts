// The NSSM command lines that register the agent as a Windows service, built as argument lists by
// pure functions (unit-tested; run by runner.ts). Re-running them is safe: `install` only when
// the service does not exist yet, then every setting is `set` again, so an upgrade or a repair
// converges on the same configuration.
//
// Why these settings:
// - Start SERVICE_DELAYED_AUTO_START: starts at boot, after the network stack and core services.
// - ObjectName: a low-privilege built-in account (LocalService by default), see layout.ts.
// - AppDirectory: a fixed working folder (services otherwise start in System32).
// - AppExit Default Restart + AppRestartDelay + AppThrottle: restart after any exit; NSSM delays
//   restarts of a program that ran shorter than AppThrottle more and more (back-off).
// - AppStopMethodConsole: stop sends Ctrl+C first (the agent handles SIGINT and exits 0 within a
//   few seconds); the window/thread methods and a kill only after the timeouts.
// - No AppKillProcessTree: NSSM 2.23 rejects setting it; killing the process tree is its default.
// - AppStdout/AppStderr: what the agent prints before its own log files exist (start-up errors).
import { win32 } from 'node:path';
import { WINDOWS, WINDOWS_ACCOUNTS, type WindowsAccount } from '../layout.ts';
import type { AgentProgram } from '../program.ts';
import { joinWindowsArgs } from './command-line.ts';

export interface WindowsServiceSpec {
  program: AgentProgram;
  /** Absolute path of config.ini. */
  configFile: string;
  /** Working folder of the service (the data root). */
  appDirectory: string;
  /** Folder for the stdout/stderr capture files (the agent's log folder). */
  logDir: string;
  account: WindowsAccount;
}

export const RESTART_DELAY_MS = 10_000;
export const THROTTLE_MS = 60_000;
export const STOP_CONSOLE_TIMEOUT_MS = 20_000;

export function nssmInstallArgs(spec: WindowsServiceSpec): string[] {
  return ['install', WINDOWS.name, spec.program.executable];
}

/** The arguments the service starts the agent with: `run --config "<config.ini>"`. */
export function appParameters(spec: WindowsServiceSpec): string {
  return joinWindowsArgs([...spec.program.leadingArgs, 'run', '--config', spec.configFile]);
}

export function nssmSetArgs(spec: WindowsServiceSpec): string[][] {
  const settings: [string, ...string[]][] = [
    ['Application', spec.program.executable],
    ['AppParameters', appParameters(spec)],
    ['AppDirectory', spec.appDirectory],
    ['DisplayName', WINDOWS.displayName],
    ['Description', WINDOWS.description],
    ['Start', 'SERVICE_DELAYED_AUTO_START'],
    objectNameSetting(spec.account),
    ['AppExit', 'Default', 'Restart'],
    ['AppRestartDelay', String(RESTART_DELAY_MS)],
    ['AppThrottle', String(THROTTLE_MS)],
    ['AppNoConsole', '0'],
    ['AppStopMethodSkip', '0'],
    ['AppStopMethodConsole', String(STOP_CONSOLE_TIMEOUT_MS)],
    ['AppStopMethodWindow', '2000'],
    ['AppStopMethodThreads', '2000'],
    ['AppStdout', win32.join(spec.logDir, 'service-stdout.log')],
    ['AppStderr', win32.join(spec.logDir, 'service-stderr.log')],
    // 4 = OPEN_ALWAYS: append across restarts instead of truncating the previous start's output.
    ['AppStdoutCreationDisposition', '4'],
    ['AppStderrCreationDisposition', '4'],
    ['AppRotateFiles', '1'],
    ['AppRotateOnline', '1'],
    ['AppRotateBytes', String(10 * 1024 * 1024)],
  ];
  return settings.map((setting) => ['set', WINDOWS.name, ...setting]);
}

/** NSSM 2.23 wants a password argument for every account but LocalSystem; built-in service
 *  accounts have none, so it is an empty string ("Setting ObjectName requires both a username
 *  and password!" otherwise). */
function objectNameSetting(account: WindowsAccount): [string, ...string[]] {
  const { objectName } = WINDOWS_ACCOUNTS[account];
  return account === 'LocalSystem' ? ['ObjectName', objectName] : ['ObjectName', objectName, ''];
}

export const nssmStatusArgs = (): string[] => ['status', WINDOWS.name];
export const nssmStartArgs = (): string[] => ['start', WINDOWS.name];
export const nssmRestartArgs = (): string[] => ['restart', WINDOWS.name];
export const nssmStopArgs = (): string[] => ['stop', WINDOWS.name];
export const nssmRemoveArgs = (): string[] => ['remove', WINDOWS.name, 'confirm'];
