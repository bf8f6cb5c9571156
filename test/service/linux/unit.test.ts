// The systemd unit: the template file and the embedded copy agree, the rendered unit passes
// `systemd-analyze verify` with no output at all (typos only print "... ignoring" and exit 0),
// and its hardening scores at or below SECURITY_THRESHOLD in `systemd-analyze security`.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNIT_TEMPLATE } from '../../../agent/service/linux/unit-template.ts';
import { configFileOfUnit, quoteExecWord, renderUnit, type UnitValues } from '../../../agent/service/linux/unit.ts';
import { useTempDirs } from '../../helpers/temp-dir.ts';

const run = promisify(execFile);
const tempDir = useTempDirs();

/**
 * Highest acceptable "Overall exposure level" (0 = fully locked down, 10 = unprotected). The unit
 * scores 1.4 ("OK"): what is left open is network access (the agent's job), IP allow-lists
 * (S3/Open-Meteo addresses change) and W+X memory for V8. 2.0 leaves room for systemd versions
 * weighing things slightly differently, but catches any hardening line being dropped.
 */
const SECURITY_THRESHOLD = 2.0;

async function renderInto(dir: string, overrides: Partial<UnitValues> = {}): Promise<string> {
  // verify checks that ExecStart's program exists and is executable.
  const agent = join(dir, 'bin dir', 'datapipe-agent');
  await mkdir(join(dir, 'bin dir'), { recursive: true });
  await writeFile(agent, '#!/bin/sh\nexit 0\n');
  await chmod(agent, 0o755);
  const unit = renderUnit({
    user: 'datapipe-agent',
    workingDir: '/var/lib/datapipe-agent',
    program: { executable: agent, leadingArgs: [] },
    configFile: '/etc/datapipe-agent/config.ini',
    readWritePaths: ['/var/lib/datapipe-agent', '/var/log/datapipe-agent'],
    ...overrides,
  });
  const file = join(dir, 'datapipe-agent.service');
  await writeFile(file, unit);
  return file;
}

async function verify(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('systemd unit', () => {
  it('is rendered from installer/linux/datapipe-agent.service (the embedded copy is identical)', async () => {
    const file = await readFile(new URL('../../../installer/linux/datapipe-agent.service', import.meta.url), 'utf8');
    expect(UNIT_TEMPLATE).toBe(file);
  });

  it('passes systemd-analyze verify with no output at all', async () => {
    const file = await renderInto(await tempDir());
    expect(await verify(file)).toEqual({ code: 0, output: '' });
  });

  it('the verify check would catch a typo (it prints, although it exits 0)', async () => {
    const file = await renderInto(await tempDir());
    await writeFile(file, (await readFile(file, 'utf8')).replace('ProtectHome=yes', 'ProtectHomme=yes'));
    const result = await verify(file);
    expect(result.output).toMatch(/ProtectHomme/);
  });

  it('passes verify with spaces, % and $ in the paths, and reads the config path back', async () => {
    const dir = await tempDir();
    const configFile = '/etc/datapipe-agent/my 100% $HOME config.ini';
    const file = await renderInto(dir, { configFile, readWritePaths: ['/srv/data pipe/var', '/srv/data pipe/logs'] });
    expect(await verify(file)).toEqual({ code: 0, output: '' });
    const text = await readFile(file, 'utf8');
    expect(text).toContain('ReadWritePaths="/srv/data pipe/var" "/srv/data pipe/logs"');
    expect(configFileOfUnit(text)).toBe(configFile);
  });

  it(`scores at or below ${SECURITY_THRESHOLD} in systemd-analyze security --offline=yes`, async () => {
    const file = await renderInto(await tempDir());
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', file]).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const score = Number(stdout.match(/Overall exposure level for .*?: ([\d.]+)/)?.[1]);
    console.log(`systemd-analyze security: overall exposure ${score} (threshold ${SECURITY_THRESHOLD})`);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(SECURITY_THRESHOLD);
  });

  it('has the required settings and never MemoryDenyWriteExecute (V8 needs W+X memory)', () => {
    const unit = renderUnit({ user: 'datapipe-agent', workingDir: '/var/lib/datapipe-agent', program: { executable: '/usr/local/bin/datapipe-agent', leadingArgs: [] }, configFile: '/etc/datapipe-agent/config.ini', readWritePaths: ['/var/lib/datapipe-agent', '/var/log/datapipe-agent', '/var/lib/datapipe-agent'] });
    const lines = unit.split('\n');
    for (const line of [
      'User=datapipe-agent',
      'ExecStartPre=/usr/local/bin/datapipe-agent validate --config /etc/datapipe-agent/config.ini',
      'ExecStart=/usr/local/bin/datapipe-agent run --config /etc/datapipe-agent/config.ini',
      'Restart=on-failure',
      'RestartSec=30s',
      'After=network-online.target',
      'Wants=network-online.target',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/datapipe-agent /var/log/datapipe-agent',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=30s',
      'SystemCallFilter=@system-service',
      'CapabilityBoundingSet=',
    ]) expect(lines).toContain(line);
    expect(lines.filter((line) => line.startsWith('MemoryDenyWriteExecute'))).toEqual([]);
    expect(unit).not.toMatch(/@[A-Z_]+@/);
  });

  it.each([
    ['/usr/local/bin/datapipe-agent', '/usr/local/bin/datapipe-agent'],
    ['/opt/data pipe/agent', '"/opt/data pipe/agent"'],
    ['/opt/100%/agent', '/opt/100%%/agent'],
    ['/opt/$x/agent', '/opt/$$x/agent'],
    ['/opt/a"b', '"/opt/a\\"b"'],
  ])('quotes ExecStart word %s as %s', (word, quoted) => {
    expect(quoteExecWord(word)).toBe(quoted);
  });

  it('refuses a path with a line break (it would inject unit lines)', () => {
    expect(() => quoteExecWord('/etc/x\nExecStartPost=/bin/evil')).toThrow(/line break/);
  });
});
