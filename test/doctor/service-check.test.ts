// The service line: only "running" passes; anything else is a WARN with the command that fixes it
// (never a FAIL: the installers run doctor before they register the service).
import { describe, expect, it } from 'vitest';
import { checkService } from '../../agent/doctor/service-check.ts';
import type { ServiceStatus } from '../../agent/service/types.ts';

const base: ServiceStatus = { manager: 'systemd', name: 'datapipe-agent', installed: true, running: true, detail: 'active' };

describe('checkService', () => {
  it.each([
    [base, 'PASS', undefined],
    [{ ...base, running: false }, 'WARN', 'service start'],
    [{ ...base, installed: false, running: false }, 'WARN', 'service install -c "/etc/datapipe-agent/config.ini"'],
    [{ ...base, manager: 'none' as const, installed: false, running: false }, 'WARN', 'datapipe-agent run'],
    [new Error('systemctl not found'), 'WARN', 'service status'],
  ])('%o -> %s', (status, expected, fix) => {
    const result = checkService(status, '/etc/datapipe-agent/config.ini');
    expect(result.status).toBe(expected);
    if (fix) expect(result.fix).toContain(fix);
    else expect(result.fix).toBeUndefined();
  });
});
