// `service set`: the nssm command line it runs (then the service is restarted: NSSM reads settings
// only at start), what it refuses, that the report shows variable names only, and the Linux
// answer from the real CLI.
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../../agent/service/runner.ts';
import { ServiceError } from '../../../agent/service/service-error.ts';
import { nssmSettingArgs, setWindowsServiceSetting } from '../../../agent/service/windows/service-set.ts';
import { runCli } from '../../helpers/agent-site.ts';

describe('service set', () => {
  it('builds nssm set / reset for AppEnvironmentExtra (any capitalisation)', () => {
    expect(nssmSettingArgs('AppEnvironmentExtra', ['HTTPS_PROXY=http://proxy.corp:8080', 'NO_PROXY=169.254.169.254']))
      .toEqual(['set', 'DatapipeAgent', 'AppEnvironmentExtra', 'HTTPS_PROXY=http://proxy.corp:8080', 'NO_PROXY=169.254.169.254']);
    expect(nssmSettingArgs('appenvironmentextra', [])).toEqual(['reset', 'DatapipeAgent', 'AppEnvironmentExtra']);
  });

  it.each([
    ['ObjectName', ['LocalSystem'], /ObjectName is not a setting 'service set' changes/],
    ['AppEnvironmentExtra', ['http://proxy:8080'], /values must each be KEY=VALUE; 'http:\/\/proxy:8080' is not/],
  ])('refuses %s %j with what is allowed', (setting, values, message) => {
    expect(() => nssmSettingArgs(setting, values)).toThrow(ServiceError);
    expect(() => nssmSettingArgs(setting, values)).toThrow(message);
  });

  it('runs nssm with the arguments and reports the variable names, never their values', async () => {
    const calls: string[][] = [];
    const nssm: CommandRunner = async (program, args) => {
      calls.push([program, ...args]);
      return { display: program, code: 0, stdout: '', stderr: '', missing: false };
    };
    const line = await setWindowsServiceSetting('C:\\Program Files\\Datapipe\\Agent\\nssm.exe', 'AppEnvironmentExtra', ['HTTPS_PROXY=http://svc:S3cret-pw@proxy:8080'], nssm);
    expect(calls).toEqual([['C:\\Program Files\\Datapipe\\Agent\\nssm.exe', 'set', 'DatapipeAgent', 'AppEnvironmentExtra', 'HTTPS_PROXY=http://svc:S3cret-pw@proxy:8080']]);
    expect(line).toBe('ok    DatapipeAgent AppEnvironmentExtra set (HTTPS_PROXY)');
  });

  it.runIf(process.platform !== 'win32')('on Linux says how to do the same with systemd', async () => {
    const result = await runCli(['service', 'set', 'AppEnvironmentExtra', 'HTTPS_PROXY=http://proxy:8080']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: 'service set' changes NSSM settings of the Windows service.");
    expect(result.stderr).toContain('sudo systemctl edit datapipe-agent');
  });
});
