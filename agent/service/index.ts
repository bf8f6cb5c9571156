// OS service integration, one entry per `service` sub-command, dispatching to systemd (Linux) or
// NSSM + the Windows service manager. `queryServiceStatus` is also what doctor and the support
// bundle call; it never throws. Everything else throws ServiceError (or ConfigError from loading
// the config) with what to do.
import { readFile } from 'node:fs/promises';
import { validateConfigFile } from '../config/load.ts';
import type { AgentConfig } from '../config/types.ts';
import { requireAdmin } from './admin.ts';
import { LINUX, type WindowsAccount } from './layout.ts';
import { installLinuxService, uninstallLinuxService } from './linux/install.ts';
import { createStaging } from './linux/staging.ts';
import { querySystemdStatus, requireSystemd, systemctl, UNIT } from './linux/systemctl.ts';
import { configFileOfUnit } from './linux/unit.ts';
import { currentProgram } from './program.ts';
import { runCommand } from './runner.ts';
import { ServiceError } from './service-error.ts';
import type { ServiceStatus } from './types.ts';
import { installWindowsService, startWindowsService, stopWindowsService, uninstallWindowsService } from './windows/install.ts';
import { locateNssm } from './windows/nssm-locate.ts';
import { linuxSetHint, setWindowsServiceSetting } from './windows/service-set.ts';
import { queryWindowsStatus } from './windows/status.ts';

export type { ServiceStatus } from './types.ts';
export { ServiceError } from './service-error.ts';

export type Report = (line: string) => void;

export interface InstallOptions {
  /** Linux only: write below this folder instead of / (nothing is registered with systemd). */
  root?: string;
  /** Register (and enable) but do not start. */
  noStart?: boolean;
  /** The agent program the service runs; default: this program. */
  binary?: string;
  /** Windows only: the account the service runs as. */
  account?: WindowsAccount;
}

export async function queryServiceStatus(): Promise<ServiceStatus> {
  try {
    return process.platform === 'win32' ? await queryWindowsStatus() : await querySystemdStatus();
  } catch (error) {
    const name = process.platform === 'win32' ? 'DatapipeAgent' : LINUX.name;
    return { manager: 'none', name, installed: false, running: false, detail: `Could not ask the service manager: ${(error as Error).message}` };
  }
}

/** Root/Administrator check for a command; with a Linux staging root none is needed. */
export async function checkPrivileges(action: string, root?: string): Promise<void> {
  if (process.platform !== 'win32' && root !== undefined && createStaging(root).staged) return;
  await requireAdmin(action);
}

export async function installService(config: AgentConfig, options: InstallOptions, report: Report): Promise<void> {
  const program = await currentProgram(options.binary);
  if (process.platform === 'win32') {
    if (options.root !== undefined) throw new ServiceError('--root is for Linux staging installs only.', 'Leave --root out on Windows.');
    await installWindowsService({ config, program, account: options.account ?? 'LocalService', start: options.noStart !== true, report });
    return;
  }
  if (options.account !== undefined) throw new ServiceError('--account is for Windows only.', `On Linux the service always runs as the system user ${LINUX.user}.`);
  await installLinuxService({ config, staging: createStaging(options.root), program, start: options.noStart !== true, report });
}

export async function uninstallService(options: { purge: boolean; root?: string; configFile?: string }, report: Report): Promise<void> {
  if (process.platform === 'win32') {
    const config = options.configFile ? await loadQuietly(options.configFile) : undefined;
    await uninstallWindowsService({ purge: options.purge, ...(config ? { config } : {}), report });
    return;
  }
  const staging = createStaging(options.root);
  // For --purge, the installed unit names the config, whose storage and log folders go too.
  const unitText = await readFile(staging.onHost(LINUX.unitFile), 'utf8').catch(() => '');
  const unitConfig = configFileOfUnit(unitText);
  const configFile = options.configFile ?? (unitConfig ? staging.onHost(unitConfig) : undefined);
  const config = options.purge && configFile ? await loadQuietly(configFile) : undefined;
  await uninstallLinuxService({ staging, purge: options.purge, ...(config ? { config } : {}), report });
}

export async function startService(report: Report): Promise<void> {
  if (process.platform === 'win32') return startWindowsService(runCommand, report);
  await requireSystemd('start the service');
  await systemctl(['start', UNIT]);
  report(`ok    ${UNIT} started`);
}

export async function stopService(report: Report): Promise<void> {
  if (process.platform === 'win32') {
    if (!(await stopWindowsService(runCommand, report))) throw new ServiceError('DatapipeAgent is not installed.', 'Nothing to stop.');
    return;
  }
  await requireSystemd('stop the service');
  await systemctl(['stop', UNIT]);
  report(`ok    ${UNIT} stopped`);
}

/** `service set`: one NSSM setting of the Windows service, then a restart so it takes effect. */
export async function setServiceSetting(setting: string, values: string[], report: Report): Promise<void> {
  if (process.platform !== 'win32') throw linuxSetHint();
  report(await setWindowsServiceSetting(await locateNssm(), setting, values, runCommand));
  await startWindowsService(runCommand, report, true);
}

async function loadQuietly(file: string): Promise<AgentConfig | undefined> {
  try {
    return (await validateConfigFile(file)).config;
  } catch {
    return undefined;
  }
}
