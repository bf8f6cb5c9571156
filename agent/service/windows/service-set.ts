// `datapipe-agent service set <setting> [value...]` (Windows): changes one NSSM setting of the
// installed service and restarts it. Two things trip technicians doing this by hand: PowerShell
// does not run programs from the current folder (`.\nssm.exe`, and nssm.exe is not on PATH), and
// NSSM reads its settings only when the service starts ("nssm set <service> <parameter> <value>",
// https://nssm.cc/usage), so a change without a restart silently does nothing.
// Only settings the agent's documentation asks for can be set; the rest belong to `service install`.
import { LINUX, WINDOWS } from '../layout.ts';
import { describeFailure, type CommandRunner } from '../runner.ts';
import { ServiceError } from '../service-error.ts';

/** Settable NSSM parameters and what their values are. */
export const SETTABLE_SETTINGS: Record<string, string> = {
  AppEnvironmentExtra: 'environment variables for the agent, each KEY=VALUE (e.g. HTTPS_PROXY=http://proxy:8080); none clears them',
};

/** The nssm arguments for `setting` = `values` (reset when no value); throws ServiceError when not allowed. */
export function nssmSettingArgs(setting: string, values: string[]): string[] {
  const known = Object.keys(SETTABLE_SETTINGS).find((name) => name.toLowerCase() === setting.toLowerCase());
  if (!known) {
    throw new ServiceError(
      `${setting} is not a setting 'service set' changes.`,
      `Settable: ${Object.entries(SETTABLE_SETTINGS).map(([name, about]) => `${name} (${about})`).join('; ')}. Everything else is set by 'service install'.`,
    );
  }
  const bad = values.find((value) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(value));
  if (bad !== undefined) {
    throw new ServiceError(`${known} values must each be KEY=VALUE; '${bad.split('=')[0]}' is not.`, `For example: datapipe-agent service set ${known} HTTPS_PROXY=http://proxy:8080 NO_PROXY=169.254.169.254`);
  }
  return values.length === 0 ? ['reset', WINDOWS.name, known] : ['set', WINDOWS.name, known, ...values];
}

/** What the report line shows: the variable names only (a value may hold a proxy password). */
export function describeSetting(values: string[]): string {
  return values.length === 0 ? 'cleared' : `set (${values.map((value) => value.split('=')[0]).join(', ')})`;
}

export async function setWindowsServiceSetting(nssm: string, setting: string, values: string[], runner: CommandRunner): Promise<string> {
  const args = nssmSettingArgs(setting, values);
  const result = await runner(nssm, args);
  if (result.code !== 0) throw new ServiceError(describeFailure({ ...result, display: `nssm ${args[0]} ${WINDOWS.name} ${args[2]}` }), `Is ${WINDOWS.name} installed (datapipe-agent service status)? Run this from an elevated prompt.`);
  return `ok    ${WINDOWS.name} ${args[2]} ${describeSetting(values)}`;
}

export function linuxSetHint(): ServiceError {
  return new ServiceError(
    "'service set' changes NSSM settings of the Windows service.",
    `On Linux: sudo systemctl edit ${LINUX.name}, add the two lines [Service] and Environment=HTTPS_PROXY=http://proxy:8080, save, then sudo systemctl restart ${LINUX.name}.`,
  );
}
