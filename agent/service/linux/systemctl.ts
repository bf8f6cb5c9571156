// Talking to systemd: whether it runs at all (containers and chroots often have no systemd as
// PID 1), the unit's state for `service status` and doctor, and start/stop/enable.
import { access } from 'node:fs/promises';
import { LINUX } from '../layout.ts';
import { describeFailure, runCommand, type CommandRunner } from '../runner.ts';
import { ServiceError } from '../service-error.ts';
import type { ServiceStatus } from '../types.ts';

export const UNIT = `${LINUX.name}.service`;

/** sd_booted(): systemd is PID 1 exactly when /run/systemd/system exists. */
export async function systemdIsRunning(): Promise<boolean> {
  try {
    await access('/run/systemd/system');
    return true;
  } catch {
    return false;
  }
}

export async function requireSystemd(action: string): Promise<void> {
  if (await systemdIsRunning()) return;
  throw new ServiceError(
    `Cannot ${action}: systemd is not running on this machine (PID 1 is not systemd, as in most containers and chroots).`,
    'Run this on the host itself, or start the agent another way: datapipe-agent run -c <config.ini>.',
  );
}

export async function systemctl(args: string[], runner: CommandRunner = runCommand): Promise<string> {
  const result = await runner('systemctl', args);
  if (result.code !== 0) {
    throw new ServiceError(`${describeFailure(result)}`, `See why with: journalctl -u ${LINUX.name} -n 50 --no-pager`);
  }
  return result.stdout;
}

export async function querySystemdStatus(runner: CommandRunner = runCommand): Promise<ServiceStatus> {
  const unitInstalled = await fileExists(LINUX.unitFile);
  if (!(await systemdIsRunning())) {
    return {
      manager: unitInstalled ? 'systemd' : 'none',
      name: LINUX.name,
      installed: unitInstalled,
      running: false,
      detail: unitInstalled
        ? `${LINUX.unitFile} is installed, but systemd is not running on this machine, so the service cannot run here.`
        : 'No service is installed and systemd is not running on this machine.',
    };
  }
  const result = await runner('systemctl', ['show', UNIT, '--no-pager', '--property=LoadState,ActiveState,SubState,UnitFileState,User,ActiveEnterTimestamp,NRestarts']);
  if (result.code !== 0) {
    return { manager: 'systemd', name: LINUX.name, installed: unitInstalled, running: false, detail: `Could not ask systemd: ${describeFailure(result)}` };
  }
  return parseSystemctlShow(result.stdout);
}

/** `systemctl show` output (Key=value lines) -> ServiceStatus. */
export function parseSystemctlShow(text: string): ServiceStatus {
  const props = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const installed = props.get('LoadState') === 'loaded';
  const active = props.get('ActiveState') ?? 'unknown';
  const running = active === 'active';
  if (!installed) return { manager: 'systemd', name: LINUX.name, installed: false, running: false, detail: `${UNIT} is not installed (run: datapipe-agent service install -c ${LINUX.configDir}/config.ini).` };
  const parts = [`${active} (${props.get('SubState') ?? '?'})`];
  const since = props.get('ActiveEnterTimestamp');
  if (running && since) parts.push(`since ${since}`);
  parts.push(props.get('UnitFileState') === 'enabled' ? 'starts at boot' : `start at boot: ${props.get('UnitFileState') || 'unknown'}`);
  if (props.get('User')) parts.push(`runs as ${props.get('User')}`);
  const restarts = Number(props.get('NRestarts') ?? '0');
  if (restarts > 0) parts.push(`restarted ${restarts} time(s) after failures`);
  return { manager: 'systemd', name: LINUX.name, installed, running, detail: `${parts.join(', ')}.` };
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
