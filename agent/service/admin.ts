// Service install/uninstall/start/stop change the machine: they need root (Linux) or an elevated
// Administrator prompt (Windows). Checked before anything else, so a technician is told at once
// rather than after half an install.
import { rm, writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import { ServiceError } from './service-error.ts';

export async function requireAdmin(action: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  if (platform === 'win32') {
    if (await isWindowsAdmin()) return;
    throw new ServiceError(
      `'service ${action}' needs Administrator rights.`,
      'Open the command prompt with right-click > "Run as administrator" and run the command again.',
    );
  }
  if (process.getuid?.() === 0) return;
  throw new ServiceError(`'service ${action}' needs root.`, 'Run it again with sudo, for example: sudo datapipe-agent service ' + action + ' ...');
}

/**
 * Only an elevated process may create files in System32. A probe file is the one check that works
 * the same on every Windows version and language and under wine (no `net session`, no PowerShell);
 * 64-bit processes are never redirected by UAC file virtualisation.
 */
async function isWindowsAdmin(): Promise<boolean> {
  const probe = win32.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', `datapipe-agent-admin-probe-${process.pid}.tmp`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return true;
  } catch {
    return false;
  }
}
