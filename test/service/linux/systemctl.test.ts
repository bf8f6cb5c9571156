// What `service status` and doctor report from systemd's answer, and from this machine, which
// has no systemd as PID 1 (the real CLI is asked).
import { describe, expect, it } from 'vitest';
import { parseSystemctlShow, systemdIsRunning } from '../../../agent/service/linux/systemctl.ts';
import { runCli } from '../../helpers/agent-site.ts';

describe('systemd status', () => {
  it('reads a running, enabled unit', () => {
    const status = parseSystemctlShow('LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nUser=datapipe-agent\nActiveEnterTimestamp=Sat 2026-11-21 10:00:00 UTC\nNRestarts=2\n');
    expect(status).toEqual({
      manager: 'systemd', name: 'datapipe-agent', installed: true, running: true,
      detail: 'active (running), since Sat 2026-11-21 10:00:00 UTC, starts at boot, runs as datapipe-agent, restarted 2 time(s) after failures.',
    });
  });

  it('reads a failed unit and a unit that does not exist', () => {
    expect(parseSystemctlShow('LoadState=loaded\nActiveState=failed\nSubState=failed\nUnitFileState=enabled\nNRestarts=0\n'))
      .toMatchObject({ installed: true, running: false, detail: 'failed (failed), starts at boot.' });
    expect(parseSystemctlShow('LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n'))
      .toMatchObject({ installed: false, running: false, detail: expect.stringContaining('is not installed (run: datapipe-agent service install') });
  });

  it.runIf(process.platform === 'linux')('service status says clearly when systemd is not running', async () => {
    const result = await runCli(['service', 'status', '--json']);
    const status = JSON.parse(result.stdout) as { running: boolean; detail: string };
    if (await systemdIsRunning()) {
      expect(result.code).toBe(status.running ? 0 : 1);
      return;
    }
    expect(result.code).toBe(1);
    expect(status).toMatchObject({ name: 'datapipe-agent', running: false });
    expect(status.detail).toMatch(/systemd is not running on this machine/);
  });

  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)('service start explains that systemd is missing instead of failing obscurely', async () => {
    if (await systemdIsRunning()) return;
    const result = await runCli(['service', 'start']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: Cannot start the service: systemd is not running on this machine');
    expect(result.stderr).toContain('fix:   ');
  });
});
