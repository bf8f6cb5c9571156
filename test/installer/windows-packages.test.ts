// The Windows zip and MSI from installer/release/, built from a fake exe: the zip holds what
// install.ps1 looks for, flat (so it runs from the unzipped folder), with checksums that match;
// the MSI's tables (msiinfo) install the files, create the Event Log source the agent's
// eventcreate calls need, register the service through the agent's own `service install`, and
// uninstall keeping data unless PURGE; the config the MSI writes from properties validates.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { WINDOWS_EVENT_SOURCE } from '../../agent/log/windows-event-log.ts';
import { UPGRADE_CODE, WRITTEN_CONFIG_LINES, WRITTEN_CREDENTIALS_LINE } from '../../installer/release/msi-wxs.ts';
import { VERIFY_ONE_LINER } from '../../installer/release/zip.ts';
import { runCli } from '../helpers/agent-site.ts';
import { buildFakeRelease, makeTempDir, REPO_ROOT, type FakeRelease } from './release-fixture.ts';

const run = promisify(execFile);
let dir: string;
let release: FakeRelease;

beforeAll(async () => {
  dir = await makeTempDir('datapipe-win-pkg-test-');
  release = await buildFakeRelease(dir, '0.1.0', ['zip', 'msi']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Buffer>();
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** An MSI table as rows of named columns (msiinfo export: names, types, table name, rows). */
async function table(name: string): Promise<Record<string, string>[]> {
  const { stdout } = await run('msiinfo', ['export', release.packages.msi, name]);
  const [header, , , ...rows] = stdout.replace(/\r/g, '').split('\n').filter((line) => line !== '');
  const columns = header!.split('\t');
  return rows.map((row) => Object.fromEntries(row.split('\t').map((value, index) => [columns[index], value])));
}

describe('the Windows zip', () => {
  it('holds, flat, the files install.ps1 looks for beside itself, the guides, SHA256SUMS and VERIFY.txt', async () => {
    expect(release.packages.zip.endsWith('/datapipe-agent-0.1.0-windows-x64.zip')).toBe(true);
    const entries = await readZip(release.packages.zip);
    expect([...entries.keys()].sort()).toEqual(['SHA256SUMS', 'VERIFY.txt', 'config.example.ini', 'configuration.md', 'datapipe-agent-win-x64.exe',
      'install.ps1', 'nssm.exe', 'support-guide.md', 'technician-guide.md']);
    const script = entries.get('install.ps1')!.toString('utf8');
    // install.ps1 defaults -SourceDir to $PSScriptRoot (the unzipped folder) and finds these names there.
    expect(script).toContain('[string]$SourceDir = $PSScriptRoot');
    expect(script).toContain("Find-InPackage @('datapipe-agent-win-x64.exe', 'datapipe-agent.exe')");
    expect(script).toContain("Find-InPackage @('nssm.exe', 'nssm64.exe')");
    expect(script).toContain("Find-InPackage @('config.example.ini')");
    expect(entries.get('nssm.exe')!.equals(await readFile(release.inputs.nssm))).toBe(true);
  });

  it('SHA256SUMS covers every other file, and VERIFY.txt gives the PowerShell line that checks it', async () => {
    const entries = await readZip(release.packages.zip);
    const lines = entries.get('SHA256SUMS')!.toString('utf8').trim().split('\n');
    const checked = lines.map((line) => {
      // The split the PowerShell one-liner does: hash, two spaces, name.
      const [hash, name] = line.split('  ');
      expect(createHash('sha256').update(entries.get(name!)!).digest('hex')).toBe(hash);
      return name;
    });
    expect(checked.sort()).toEqual([...entries.keys()].filter((name) => name !== 'SHA256SUMS' && name !== 'VERIFY.txt').sort());
    expect(VERIFY_ONE_LINER).toContain("-split '  ', 2");
    expect(entries.get('VERIFY.txt')!.toString('utf8')).toContain(VERIFY_ONE_LINER);
  });
});

describe('install.ps1 and the Event Log source', () => {
  // No PowerShell runs here (wine's powershell.exe is a stub that does nothing), so this checks the
  // script's text: it must create the same source as the MSI, before the service first starts.
  it('creates the source the agent writes to, with the values eventcreate requires, and writes event 1 before service install', async () => {
    const script = await readFile(join(REPO_ROOT, 'installer', 'install.ps1'), 'utf8');
    expect(script).toContain(`$EventSource = '${WINDOWS_EVENT_SOURCE}'`);
    expect(script).toContain('$EventSourceKey = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\$EventSource"');
    expect(script).toContain("-Name 'EventMessageFile' -PropertyType ExpandString -Value '%SystemRoot%\\System32\\EventCreate.exe'");
    expect(script).toContain("-Name 'TypesSupported' -PropertyType DWord -Value 7");
    expect(script).toContain("-Name 'CustomSource' -PropertyType DWord -Value 1");
    expect(script).not.toMatch(/^[^#]*New-EventLog/m);
    const eventAt = script.indexOf('/SO $EventSource /ID 1 ');
    expect(eventAt).toBeGreaterThan(0);
    expect(eventAt).toBeLessThan(script.indexOf("$serviceArgs = @('service', 'install'"));
    expect(script).toMatch(/if \(Test-Path -LiteralPath \$EventSourceKey\) \{ Remove-Item -LiteralPath \$EventSourceKey -Recurse -Force \}/);
  });
});

describe('the MSI', () => {
  it('is a per-machine x64 package with a fixed upgrade code and LocalService as the default account', async () => {
    expect(release.packages.msi.endsWith('/datapipe-agent-0.1.0-x64.msi')).toBe(true);
    const { stdout } = await run('msiinfo', ['suminfo', release.packages.msi]);
    expect(stdout).toMatch(/^Template: x64;1033$/m);
    const properties = Object.fromEntries((await table('Property')).map((row) => [row.Property, row.Value]));
    expect(properties).toMatchObject({ ProductVersion: '0.1.0', UpgradeCode: `{${UPGRADE_CODE}}`, ACCOUNT: 'LocalService', ALLUSERS: '1' });
    // Major upgrade: an older version is found and removed first; a newer one blocks a downgrade.
    const upgrade = Object.fromEntries((await table('Upgrade')).map((row) => [row.ActionProperty, row]));
    expect(upgrade.WIX_UPGRADE_DETECTED).toMatchObject({ UpgradeCode: `{${UPGRADE_CODE}}`, VersionMin: '', VersionMax: '0.1.0' });
    expect(upgrade.WIX_DOWNGRADE_DETECTED).toMatchObject({ UpgradeCode: `{${UPGRADE_CODE}}`, VersionMin: '0.1.0' });
    expect((await table('LaunchCondition')).map((row) => row.Condition)).toEqual(['NOT WIX_DOWNGRADE_DETECTED']);
  });

  it('installs the exe, nssm.exe (the pinned file), the example and install.ps1', async () => {
    const files = (await table('File')).map((row) => row.FileName!.split('|').at(-1)).sort();
    expect(files).toEqual(['config.example.ini', 'datapipe-agent.exe', 'install.ps1', 'nssm.exe']);
  });

  it('creates the Event Log source the way eventcreate.exe accepts it (CustomSource = 1)', async () => {
    const rows = await table('Registry');
    const values = Object.fromEntries(rows.map((row) => [row.Name, { root: row.Root, key: row.Key, value: row.Value }]));
    const key = 'SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\DatapipeAgent\\';
    expect(values).toEqual({
      EventMessageFile: { root: '2', key, value: '[System64Folder]EventCreate.exe' },
      TypesSupported: { root: '2', key, value: '#7' },
      CustomSource: { root: '2', key, value: '#1' },
    });
  });

  it('runs the agent\'s own service install/uninstall as deferred, elevated custom actions in the right order', async () => {
    const actions = Object.fromEntries((await table('CustomAction')).map((row) => [row.Action, row]));
    // 50 (exe named by a property) + 0x400 in-script + 0x800 no-impersonate; + 0x40 = ignore the exit code.
    expect(actions.RegisterService).toMatchObject({ Type: '3122', Source: 'CMDEXE', Target: '/d /c ""[#AgentExe]" service install -c "[DATADIR]config.ini" --account [ACCOUNT] >> "[DATADIR]msi-install.log" 2>&1"' });
    expect(actions.UnregisterService).toMatchObject({ Type: '3186', Target: '/d /c ""[#AgentExe]" service uninstall >> "[DATADIR]msi-install.log" 2>&1"' });
    expect(actions.UnregisterServicePurge!.Target).toContain('service uninstall --purge');
    expect(actions.CopyConfig).toMatchObject({ Type: '3122', Target: '/d /c copy /y "[CONFIG]" "[DATADIR]config.ini"' });
    expect(actions.WriteInstalledEvent).toMatchObject({ Source: 'EVENTCREATE', Target: '/L APPLICATION /T INFORMATION /SO DatapipeAgent /ID 1 /D "Datapipe Agent [ProductVersion] installed by Windows Installer."' });
    expect(actions.SetCmdExe).toMatchObject({ Source: 'CMDEXE', Target: '[System64Folder]cmd.exe' });

    const sequence = Object.fromEntries((await table('InstallExecuteSequence')).map((row) => [row.Action, { at: Number(row.Sequence), condition: row.Condition }]));
    const at = (action: string) => sequence[action]!.at;
    expect(at('SetCmdExe')).toBeLessThan(at('InstallInitialize'));
    expect(at('RemoveExistingProducts')).toBeLessThan(at('InstallInitialize'));
    expect(at('StopServices')).toBeLessThan(at('UnregisterService'));
    expect(at('UnregisterService')).toBeLessThan(at('RemoveFiles'));
    expect(at('InstallFiles')).toBeLessThan(at('CopyConfig'));
    expect(at('WriteRegistryValues')).toBeLessThan(at('WriteInstalledEvent'));
    expect(at('WriteInstalledEvent')).toBeLessThan(at('RegisterService'));
    expect(at('RegisterService')).toBeLessThan(at('InstallFinalize'));
    expect(sequence.UnregisterService!.condition).toBe('REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE AND NOT PURGE');
    expect(sequence.UnregisterServicePurge!.condition).toBe('REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE AND PURGE');
    const control = await table('ServiceControl');
    // 0x2 stop on install + 0x20 stop on uninstall: the running exe is released before files change.
    expect(control).toEqual([{ ServiceControl: 'StopAgent', Name: 'DatapipeAgent', Event: '34', Arguments: '', Wait: '1', Component_: 'AgentExe' }]);
  });

  it.each([
    ['WriteConfig', false],
    ['WriteConfigWithCredentials', true],
  ])('the config %s writes from CUSTOMER_ID, BUCKET, REGION, LOCATION_ID, LOCATION passes validate', async (action, withCredentials) => {
    const target = (await table('CustomAction')).find((row) => row.Action === action)!.Target!;
    const echoed = target.slice(target.indexOf('(echo ') + 1, target.lastIndexOf(') >')).split('&').map((part) => part.replace(/^echo /, ''));
    expect(echoed).toEqual(withCredentials ? [...WRITTEN_CONFIG_LINES, WRITTEN_CREDENTIALS_LINE] : WRITTEN_CONFIG_LINES);
    const properties: Record<string, string> = { CUSTOMER_ID: 'plant-7', BUCKET: 'plant-7-weather', REGION: 'eu-west-1', LOCATION_ID: 'oulu', LOCATION: '65.0121, 25.4651, Oulu' };
    // Windows Installer's formatting: [\[] and [\]] are literal brackets, [NAME] a property.
    const text = echoed.map((line) => line.replace(/\[\\(.)\]/g, '$1').replace(/\[([A-Z_]+)\]/g, (_, name: string) => properties[name]!)).join('\r\n');
    expect(text).toBe(`[customer]\r\nid = plant-7\r\n[locations]\r\noulu = 65.0121, 25.4651, Oulu\r\n[s3]\r\nbucket = plant-7-weather\r\nregion = eu-west-1${withCredentials ? '\r\ncredentials_file = credentials.ini' : ''}`);
    const siteDir = join(dir, action);
    await mkdir(siteDir, { recursive: true });
    await writeFile(join(siteDir, 'credentials.ini'), 'aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n', { mode: 0o600 });
    await writeFile(join(siteDir, 'config.ini'), `${text}\r\n`);
    const result = await runCli(['validate', '-c', join(siteDir, 'config.ini')], { cwd: REPO_ROOT });
    expect(result.stdout).toMatch(/valid \(\d+ warning/);
    expect(result.code).toBe(0);
    const sequence = Object.fromEntries((await table('InstallExecuteSequence')).map((row) => [row.Action, row.Condition]));
    expect(sequence[action]).toBe(`CUSTOMER_ID AND NOT CONFIG AND ${withCredentials ? '' : 'NOT '}CREDENTIALS AND NOT REMOVE`);
  });
});
