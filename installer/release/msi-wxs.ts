// The WiX source for datapipe-agent-<version>-x64.msi, built by Debian's wixl (msitools), which
// implements a subset of WiX 3 (GNOME/msitools tools/wixl/wix.vala, builder.vala): File,
// Registry, ServiceControl/ServiceInstall, MajorUpgrade, and
// CustomAction of the kinds ExeCommand+FileKey (type 18: run an installed exe), ExeCommand+Property
// (type 50: run the exe a property names) and Property+Value (type 51: set a property).
//
// What the MSI does (properties documented in docs/technician-guide.md):
//   - files: datapipe-agent.exe, nssm.exe, config.example.ini, install.ps1 -> C:\Program Files\Datapipe\Agent
//   - config: CONFIG=<path> copies a finished config.ini (and CREDENTIALS=<path> the credentials
//     file) into C:\ProgramData\Datapipe\Agent; or CUSTOMER_ID + BUCKET + REGION + LOCATION_ID +
//     LOCATION write a new config.ini there (cmd.exe echo); or an existing config.ini is kept.
//   - the service: `datapipe-agent.exe service install -c <config> --account <ACCOUNT>` (through
//     cmd.exe, its output appended to msi-install.log in the data folder), the very
//     command install.ps1 runs (validate, ACLs, NSSM registration, start), so the MSI and the
//     script cannot drift apart. Deferred, not impersonated (runs as LocalSystem); a failure
//     rolls the install back. ServiceControl stops the service before files are replaced.
//   - the Event Log source DatapipeAgent (Registry table) and event 1 "installed" (eventcreate).
//     The key is the one eventcreate.exe itself creates, so the agent's later eventcreate calls
//     (agent/log/windows-event-log.ts, as LocalService, which may not create sources) are accepted:
//     EventMessageFile = eventcreate.exe (its messages show the /D text), TypesSupported = 7, and
//     CustomSource = 1, without which eventcreate refuses the source ("Source parameter is used to
//     identify custom applications/scripts only"), as New-EventLog's sources are refused:
//     https://learn.microsoft.com/en-us/windows/win32/eventlog/event-sources
//     https://learn.microsoft.com/en-gb/archive/blogs/aaron_margosis/eventcreate-and-error-source-parameter-is-used-to-identify-custom-applicationsscripts-only
//     EventMessageFile is an absolute path (REG_SZ): wixl 0.101 writes "expandable" values as REG_SZ.
//   - uninstall: `service uninstall` (data and config kept), or with PURGE=1 `--purge`.
// Deferred custom actions see properties only through their formatted Target, which Windows
// Installer formats when it writes the action into the script:
//   https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-type-18
//   https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-in-script-execution-options
import { WINDOWS_EVENT_SOURCE } from '../../agent/log/windows-event-log.ts';
import { WINDOWS } from '../../agent/service/layout.ts';

export const MSI_LOG = 'msi-install.log';

/** Never change: Windows Installer finds the installed version to upgrade by it. */
export const UPGRADE_CODE = '6E1A4C0B-3F52-4C2D-9B8E-2D7A5F0C9E14';
export const EVENT_SOURCE_KEY = `SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\${WINDOWS_EVENT_SOURCE}`;

export interface MsiSources {
  version: string;
  exe: string;
  nssm: string;
  example: string;
  installScript: string;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The config CUSTOMER_ID + BUCKET + REGION + LOCATION_ID + LOCATION write, as cmd.exe echo lines
 * (wixl 0.101, Debian 12's, has no component conditions, so the IniFile table cannot be made
 * conditional). `[\\[]` is Windows Installer's escape for a literal '[' in formatted text:
 * https://learn.microsoft.com/en-us/windows/win32/msi/formatted
 * The agent's defaults cover every other key (storage ./var next to the config).
 */
export const WRITTEN_CONFIG_LINES = ['[\\[]customer[\\]]', 'id = [CUSTOMER_ID]', '[\\[]locations[\\]]', '[LOCATION_ID] = [LOCATION]', '[\\[]s3[\\]]', 'bucket = [BUCKET]', 'region = [REGION]'];

/** Appended (still in [s3]) when CREDENTIALS is given too, so the copied file is the one used. */
export const WRITTEN_CREDENTIALS_LINE = 'credentials_file = credentials.ini';

export function renderWxs(sources: MsiSources): string {
  const file = (id: string, name: string, source: string, keyPath = true): string =>
    `<File Id="${id}" Name="${name}" Source="${escapeXml(source)}"${keyPath ? ' KeyPath="yes"' : ''}/>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="${WINDOWS.displayName}" Language="1033" Version="${sources.version}" Manufacturer="Datapipe" UpgradeCode="${UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Description="${WINDOWS.displayName} ${sources.version}" Comments="${escapeXml(WINDOWS.description)}"/>
    <Media Id="1" Cabinet="agent.cab" EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="A newer ${WINDOWS.displayName} is already installed; uninstall it first to go back to ${sources.version}."/>
    <Property Id="ACCOUNT" Value="LocalService"/>
    <Property Id="ARPNOMODIFY" Value="1"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="DatapipeProgramDir" Name="Datapipe">
          <Directory Id="INSTALLDIR" Name="Agent">
            <Component Id="AgentExe" Guid="*" Win64="yes">
              ${file('AgentExe', 'datapipe-agent.exe', sources.exe)}
              <ServiceControl Id="StopAgent" Name="${WINDOWS.name}" Stop="both" Wait="yes"/>
            </Component>
            <Component Id="Nssm" Guid="*" Win64="yes">${file('NssmExe', 'nssm.exe', sources.nssm)}</Component>
            <Component Id="Example" Guid="*" Win64="yes">${file('ExampleIni', 'config.example.ini', sources.example)}</Component>
            <Component Id="InstallScript" Guid="*" Win64="yes">${file('InstallPs1', 'install.ps1', sources.installScript)}</Component>
            <Component Id="EventSource" Guid="*" Win64="yes">
              <RegistryKey Root="HKLM" Key="${EVENT_SOURCE_KEY}">
                <RegistryValue Name="EventMessageFile" Type="string" Value="[System64Folder]EventCreate.exe" KeyPath="yes"/>
                <RegistryValue Name="TypesSupported" Type="integer" Value="7"/>
                <RegistryValue Name="CustomSource" Type="integer" Value="1"/>
              </RegistryKey>
            </Component>
          </Directory>
        </Directory>
      </Directory>
      <Directory Id="CommonAppDataFolder">
        <Directory Id="DatapipeDataDir" Name="Datapipe">
          <Directory Id="DATADIR" Name="Agent">
            <!-- Created for the config; never removed while it holds anything (config, data, logs). -->
            <Component Id="DataDir" Guid="3C5B8E21-7D4A-4F0E-A1B6-9E2C4D7F8A31" Win64="yes"><CreateFolder/></Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Agent" Level="1">
      <ComponentRef Id="AgentExe"/>
      <ComponentRef Id="Nssm"/>
      <ComponentRef Id="Example"/>
      <ComponentRef Id="InstallScript"/>
      <ComponentRef Id="EventSource"/>
      <ComponentRef Id="DataDir"/>
    </Feature>
${customActions()}
  </Product>
</Wix>
`;
}

/**
 * Where each custom action runs, by explicit sequence number next to the standard actions
 * (InstallValidate 1400, InstallInitialize 1500, StopServices 1900, RemoveFiles 3500,
 * InstallFiles 4000, WriteRegistryValues 5000, InstallFinalize 6600):
 * https://learn.microsoft.com/en-us/windows/win32/msi/suggested-installexecutesequence
 * The old version of a major upgrade is removed at 1450 (before anything is installed), without
 * unregistering the service (UPGRADINGPRODUCTCODE is set then); the new one re-registers it.
 * Event 1 is written after the Event Log source exists and before the service starts (its
 * "started" event comes second).
 */
export const SEQUENCE: [action: string, sequence: number, condition: string][] = [
  ['SetCmdExe', 1410, ''],
  ['SetEventCreate', 1411, ''],
  ['UnregisterService', 3400, 'REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE AND NOT PURGE'],
  ['UnregisterServicePurge', 3401, 'REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE AND PURGE'],
  ['CopyConfig', 4010, 'CONFIG AND NOT REMOVE'],
  ['WriteConfig', 4011, 'CUSTOMER_ID AND NOT CONFIG AND NOT CREDENTIALS AND NOT REMOVE'],
  ['WriteConfigWithCredentials', 4011, 'CUSTOMER_ID AND NOT CONFIG AND CREDENTIALS AND NOT REMOVE'],
  ['CopyCredentials', 4012, 'CREDENTIALS AND NOT REMOVE'],
  ['WriteInstalledEvent', 5005, 'NOT REMOVE'],
  ['RegisterService', 5010, 'NOT REMOVE'],
];

function customActions(): string {
  const deferred = 'Execute="deferred" Impersonate="no"';
  const config = '&quot;[DATADIR]config.ini&quot;';
  const agent = '&quot;[#AgentExe]&quot;';
  // The agent's own output (what `service install` did or why it refused) goes to msi-install.log
  // in the data folder: msiexec's log records only an exit code. cmd /c "..." strips the outer
  // quotes and runs the rest as typed (cmd /?: "more than two quote characters").
  const msiLog = `&quot;[DATADIR]${MSI_LOG}&quot;`;
  const echo = (lines: string[]): string => lines.map((line) => `echo ${line}`).join('&amp;');
  const writeConfig = (lines: string[]): string => `/d /c (if exist ${config} copy /y ${config} &quot;[DATADIR]config.ini.bak&quot;) &amp; (${echo(lines)}) &gt; ${config}`;
  return `    <CustomAction Id="SetCmdExe" Property="CMDEXE" Value="[System64Folder]cmd.exe"/>
    <CustomAction Id="SetEventCreate" Property="EVENTCREATE" Value="[System64Folder]eventcreate.exe"/>
    <CustomAction Id="CopyConfig" Property="CMDEXE" ExeCommand="/d /c copy /y &quot;[CONFIG]&quot; ${config}" ${deferred} Return="check"/>
    <CustomAction Id="WriteConfig" Property="CMDEXE" ExeCommand="${writeConfig(WRITTEN_CONFIG_LINES)}" ${deferred} Return="check"/>
    <CustomAction Id="WriteConfigWithCredentials" Property="CMDEXE" ExeCommand="${writeConfig([...WRITTEN_CONFIG_LINES, WRITTEN_CREDENTIALS_LINE])}" ${deferred} Return="check"/>
    <CustomAction Id="CopyCredentials" Property="CMDEXE" ExeCommand="/d /c copy /y &quot;[CREDENTIALS]&quot; &quot;[DATADIR]credentials.ini&quot;" ${deferred} Return="check"/>
    <CustomAction Id="RegisterService" Property="CMDEXE" ExeCommand="/d /c &quot;${agent} service install -c ${config} --account [ACCOUNT] &gt;&gt; ${msiLog} 2&gt;&amp;1&quot;" ${deferred} Return="check"/>
    <CustomAction Id="WriteInstalledEvent" Property="EVENTCREATE" ExeCommand="/L APPLICATION /T INFORMATION /SO ${WINDOWS_EVENT_SOURCE} /ID 1 /D &quot;${WINDOWS.displayName} [ProductVersion] installed by Windows Installer.&quot;" ${deferred} Return="ignore"/>
    <CustomAction Id="UnregisterService" Property="CMDEXE" ExeCommand="/d /c &quot;${agent} service uninstall &gt;&gt; ${msiLog} 2&gt;&amp;1&quot;" ${deferred} Return="ignore"/>
    <CustomAction Id="UnregisterServicePurge" Property="CMDEXE" ExeCommand="/d /c &quot;${agent} service uninstall --purge &gt;&gt; &quot;[TempFolder]datapipe-agent-${MSI_LOG}&quot; 2&gt;&amp;1&quot;" ${deferred} Return="ignore"/>
    <InstallExecuteSequence>
      <RemoveExistingProducts Sequence="1450"/>
${SEQUENCE.map(([action, sequence, condition]) => `      <Custom Action="${action}" Sequence="${sequence}">${escapeXml(condition)}</Custom>`).join('\n')}
    </InstallExecuteSequence>`;
}
