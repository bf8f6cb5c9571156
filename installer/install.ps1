<#
.SYNOPSIS
  Installs, upgrades or removes datapipe-agent as a Windows service.

.DESCRIPTION
  Run from an elevated PowerShell ("Run as administrator") in the folder of the release package
  (datapipe-agent-win-x64.exe, nssm.exe, config.example.ini, install.ps1).

  Install / upgrade (run it again with a new package to upgrade):
    1. stops the service if it runs, copies datapipe-agent.exe and nssm.exe to
       C:\Program Files\Datapipe\Agent\
    2. config: keeps C:\ProgramData\Datapipe\Agent\config.ini if it exists; -Config FILE replaces it
       (the old one is kept as config.ini.<time>.bak); with neither, creates it from
       config.example.ini and stops so you can edit it
    3. -Credentials FILE: copies it to C:\ProgramData\Datapipe\Agent\credentials.ini
    4. datapipe-agent validate; creates the Event Log source DatapipeAgent and writes event 1
     ("installed"); then `datapipe-agent service install` (ACLs, NSSM service, start)
    5. datapipe-agent doctor (a warning only if this build has no doctor)
  Config, credentials, the dump (undelivered files) and logs are never touched by an upgrade.
  -Uninstall keeps them too, unless -Purge is given.

.EXAMPLE
  .\install.ps1 -Config .\config.ini -Credentials .\credentials.ini
.EXAMPLE
  .\install.ps1 -Uninstall
#>
#Requires -RunAsAdministrator
[CmdletBinding()]
param(
  [string]$Config,
  [string]$Credentials,
  [string]$SourceDir = $PSScriptRoot,
  [ValidateSet('LocalService', 'NetworkService', 'LocalSystem')]
  [string]$Account = 'LocalService',
  [switch]$NoStart,
  [switch]$SkipDoctor,
  [switch]$Uninstall,
  [switch]$Purge
)
$ErrorActionPreference = 'Stop'

$InstallDir = Join-Path $env:ProgramFiles 'Datapipe\Agent'
$DataRoot = Join-Path $env:ProgramData 'Datapipe\Agent'
$Exe = Join-Path $InstallDir 'datapipe-agent.exe'
$ConfigFile = Join-Path $DataRoot 'config.ini'
$EventSource = 'DatapipeAgent'
$EventSourceKey = "HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\$EventSource"

function Fail([string]$Message, [string]$Fix, [int]$Code = 1) {
  Write-Host "error: $Message" -ForegroundColor Red
  if ($Fix) { Write-Host "fix:   $Fix" }
  exit $Code
}

function Find-InPackage([string[]]$Names) {
  foreach ($name in $Names) {
    $path = Join-Path $SourceDir $name
    if (Test-Path -LiteralPath $path -PathType Leaf) { return $path }
  }
  return $null
}

# Runs the agent, showing its output; returns only its exit code. Native stderr must not become a
# terminating error (Windows PowerShell 5.1 does that under ErrorActionPreference=Stop).
function Invoke-Agent([string[]]$Arguments) {
  $ErrorActionPreference = 'Continue'
  & $Exe @Arguments | Out-Host
  return $LASTEXITCODE
}

if ($Uninstall) {
  if (-not (Test-Path -LiteralPath $Exe)) { Fail "$Exe is not installed" 'Nothing to uninstall.' }
  $uninstallArgs = @('service', 'uninstall')
  if ($Purge) { $uninstallArgs += '--purge' }
  if ((Invoke-Agent $uninstallArgs) -ne 0) { Fail 'service uninstall failed (reason above)' 'Fix it and run this script again.' }
  # The events already written stay in the Application log; only the source registration goes.
  if (Test-Path -LiteralPath $EventSourceKey) { Remove-Item -LiteralPath $EventSourceKey -Recurse -Force }
  Remove-Item -LiteralPath $InstallDir -Recurse -Force
  Write-Host "ok    removed $InstallDir"
  exit 0
}

# 1. Program files. A running exe is locked on Windows: stop the service before replacing it.
$newExe = Find-InPackage @('datapipe-agent-win-x64.exe', 'datapipe-agent.exe')
$newNssm = Find-InPackage @('nssm.exe', 'nssm64.exe')
if (-not $newExe) { Fail "datapipe-agent-win-x64.exe was not found in $SourceDir" 'Run this script from the unpacked release package, or pass -SourceDir.' 2 }
if (-not $newNssm) { Fail "nssm.exe was not found in $SourceDir" 'Run this script from the unpacked release package, or pass -SourceDir.' 2 }
if (Test-Path -LiteralPath $Exe) {
  # 'service status' exits 0 only while the service runs.
  if ((Invoke-Agent @('service', 'status')) -eq 0) { Invoke-Agent @('service', 'stop') | Out-Null }
}
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -LiteralPath $newExe -Destination $Exe -Force
Copy-Item -LiteralPath $newNssm -Destination (Join-Path $InstallDir 'nssm.exe') -Force
Write-Host "ok    $Exe ($(& $Exe --version))"

# 2-3. Config and credentials.
New-Item -ItemType Directory -Force -Path $DataRoot | Out-Null
if ($Config) {
  if (-not (Test-Path -LiteralPath $Config -PathType Leaf)) { Fail "-Config ${Config}: no such file" 'Give the path of your config.ini.' 2 }
  if (Test-Path -LiteralPath $ConfigFile) {
    $backup = "$ConfigFile.$((Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')).bak"
    Copy-Item -LiteralPath $ConfigFile -Destination $backup
    Write-Host "note  the previous config was kept as $backup"
  }
  Copy-Item -LiteralPath $Config -Destination $ConfigFile -Force
  Write-Host "ok    $ConfigFile from $Config"
} elseif (Test-Path -LiteralPath $ConfigFile) {
  Write-Host "ok    keeping $ConfigFile"
} else {
  $example = Find-InPackage @('config.example.ini')
  if (-not $example) { Fail "config.example.ini was not found in $SourceDir" 'Pass your config with -Config FILE.' 2 }
  Copy-Item -LiteralPath $example -Destination $ConfigFile
  Write-Host "ok    created $ConfigFile from config.example.ini"
  Write-Host ''
  Write-Host "Next: edit $ConfigFile (customer id, locations, bucket, region, credentials_file),"
  Write-Host "put the S3 keys in $DataRoot\credentials.ini (or pass -Credentials FILE), then run this script again."
  exit 0
}
if ($Credentials) {
  if (-not (Test-Path -LiteralPath $Credentials -PathType Leaf)) { Fail "-Credentials ${Credentials}: no such file" 'Give the path of the credentials file.' 2 }
  Copy-Item -LiteralPath $Credentials -Destination (Join-Path $DataRoot 'credentials.ini') -Force
  Write-Host "ok    $DataRoot\credentials.ini from $Credentials"
}

# 4. Validate, then register and start (service install also restricts the folder's ACL).
if ((Invoke-Agent @('validate', '-c', $ConfigFile)) -ne 0) {
  Fail 'the config is invalid (every problem is listed above)' "Edit $ConfigFile and run this script again." 2
}

# The Event Log source, created here as Administrator: the service account (LocalService) may
# write events but not create a source, so without this no event of the agent would ever appear.
# The key is the one eventcreate.exe itself makes (the agent writes its events with eventcreate):
# EventMessageFile = eventcreate.exe, TypesSupported = 7 and CustomSource = 1; eventcreate refuses
# sources without CustomSource, such as those New-EventLog creates, so New-EventLog is not used.
#   https://learn.microsoft.com/en-us/windows/win32/eventlog/event-sources
#   https://learn.microsoft.com/en-gb/archive/blogs/aaron_margosis/eventcreate-and-error-source-parameter-is-used-to-identify-custom-applicationsscripts-only
# The MSI creates the same key (installer/release/msi-wxs.ts).
New-Item -Path $EventSourceKey -Force | Out-Null
New-ItemProperty -LiteralPath $EventSourceKey -Name 'EventMessageFile' -PropertyType ExpandString -Value '%SystemRoot%\System32\EventCreate.exe' -Force | Out-Null
New-ItemProperty -LiteralPath $EventSourceKey -Name 'TypesSupported' -PropertyType DWord -Value 7 -Force | Out-Null
New-ItemProperty -LiteralPath $EventSourceKey -Name 'CustomSource' -PropertyType DWord -Value 1 -Force | Out-Null
function Write-InstalledEvent {
  $ErrorActionPreference = 'Continue'
  $eventCreate = Join-Path $env:SystemRoot 'System32\eventcreate.exe'
  & $eventCreate /L APPLICATION /T INFORMATION /SO $EventSource /ID 1 /D "Datapipe Agent $(& $Exe --version) installed by install.ps1." | Out-Null
  return $LASTEXITCODE
}
if ((Write-InstalledEvent) -eq 0) {
  Write-Host "ok    Event Log source $EventSource (Application log); event 1 'installed' written"
} else {
  Write-Host "warn  eventcreate could not write event 1; the agent's events may not appear in the Event Viewer" -ForegroundColor Yellow
}

$serviceArgs = @('service', 'install', '-c', $ConfigFile, '--account', $Account)
if ($NoStart) { $serviceArgs += '--no-start' }
if ((Invoke-Agent $serviceArgs) -ne 0) { Fail 'service install failed (reason above)' 'Fix it and run this script again.' }

# 5. Commissioning self-test.
if (-not $SkipDoctor) {
  $ErrorActionPreference = 'Continue'
  $doctorOutput = & $Exe doctor -c $ConfigFile 2>&1 | Out-String
  $doctorCode = $LASTEXITCODE
  Write-Host $doctorOutput
  if ($doctorOutput -match 'unknown command') {
    Write-Host "warn  this agent build has no 'doctor' command; skipped the self-test" -ForegroundColor Yellow
  } elseif ($doctorCode -ne 0) {
    Write-Host 'warn  doctor reported failures (FAIL lines above); fix them. The service keeps retrying by itself.' -ForegroundColor Yellow
  }
}

Write-Host ''
Write-Host "Installed. Logs: the [logging] dir of $ConfigFile (default $DataRoot\var\logs\agent-YYYY-MM-DD.log),"
Write-Host '           and service-stdout.log / service-stderr.log in the same folder.'
Write-Host "Status:    & '$Exe' status -c '$ConfigFile'    Service: & '$Exe' service status"
