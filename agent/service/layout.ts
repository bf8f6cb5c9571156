// Where the agent lives once installed as a service, per OS, in one place: names the service
// manager knows it by, and the folders the installers, `service install` and the docs agree on.
import { posix, win32 } from 'node:path';

export const LINUX = {
  /** systemd unit name (without .service) and the name of the dedicated system user and group. */
  name: 'datapipe-agent',
  user: 'datapipe-agent',
  binary: '/usr/local/bin/datapipe-agent',
  configDir: '/etc/datapipe-agent',
  stateDir: '/var/lib/datapipe-agent',
  logDir: '/var/log/datapipe-agent',
  unitFile: '/etc/systemd/system/datapipe-agent.service',
  sysusersFile: '/etc/sysusers.d/datapipe-agent.conf',
} as const;

export const WINDOWS = {
  name: 'DatapipeAgent',
  displayName: 'Datapipe Agent',
  description: 'Collects Open-Meteo weather for the configured locations and delivers it to Amazon S3.',
} as const;

/** The low-privilege accounts the Windows service may run as, with their well-known SIDs. */
export const WINDOWS_ACCOUNTS = {
  LocalService: { objectName: 'NT AUTHORITY\\LocalService', sid: 'S-1-5-19' },
  NetworkService: { objectName: 'NT AUTHORITY\\NetworkService', sid: 'S-1-5-20' },
  LocalSystem: { objectName: 'LocalSystem', sid: 'S-1-5-18' },
} as const;

export type WindowsAccount = keyof typeof WINDOWS_ACCOUNTS;

/** `C:\ProgramData\Datapipe\Agent`: config, credentials, data and logs (ACL-restricted). */
export function windowsDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Datapipe', 'Agent');
}

/** The config a command reads when no -c is given: where the installers and packages put it. */
export function defaultConfigFile(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  return platform === 'win32' ? win32.join(windowsDataRoot(env), 'config.ini') : posix.join(LINUX.configDir, 'config.ini');
}
