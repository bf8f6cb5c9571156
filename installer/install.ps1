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
    5. datapipe-agent doctor, as the service's account (a one-off scheduled task), so the
       Administrator's proxy variables or %USERPROFILE%\.aws cannot make it pass while the service
       fails (a warning only if this build has no doctor)
    6. waits up to -WaitSeconds (default 180; 0: do not wait) for the service's first confirmed
       upload (it runs one cycle at start) and prints it, or what went wrong and where to look
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
  [ValidateRange(0, 3600)]
  [int]$WaitSeconds = 180,
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

# Uploads recorded from now on are this installation's (step 6).
$installStartedAt = (Get-Date).ToUniversalTime()
$serviceArgs = @('service', 'install', '-c', $ConfigFile, '--account', $Account)
if ($NoStart) { $serviceArgs += '--no-start' }
if ((Invoke-Agent $serviceArgs) -ne 0) { Fail 'service install failed (reason above)' 'Fix it and run this script again.' }

# 5. Commissioning self-test, as the service's account: a scheduled task with logon type
# ServiceAccount runs as LocalService/NetworkService/SYSTEM with that account's own profile, HKCU
# and environment (https://learn.microsoft.com/en-us/windows/win32/TaskSchd/principal-logontype),
# which is what the service gets; the Administrator's HTTPS_PROXY, AWS_* variables and
# %USERPROFILE%\.aws are not there. NSSM's AppEnvironmentExtra (see the technician guide) is
# added to the task's command line so a proxy set for the service is seen too.
function Invoke-DoctorAsService {
  if (-not (Get-Command Register-ScheduledTask -ErrorAction SilentlyContinue)) { throw 'the ScheduledTasks PowerShell module is not available' }
  $ErrorActionPreference = 'Continue'
  $who = @{ LocalService = @('NT AUTHORITY\LOCALSERVICE', 'S-1-5-19'); NetworkService = @('NT AUTHORITY\NETWORKSERVICE', 'S-1-5-20'); LocalSystem = @('NT AUTHORITY\SYSTEM', 'S-1-5-18') }[$Account]
  $output = Join-Path $DataRoot "doctor-as-$Account.txt"
  Set-Content -LiteralPath $output -Value '' -Encoding ASCII
  & icacls.exe $output /grant "*$($who[1]):M" /Q | Out-Null
  $environment = (& (Join-Path $InstallDir 'nssm.exe') get DatapipeAgent AppEnvironmentExtra 2>$null) | Where-Object { $_ -match '^[A-Za-z_][A-Za-z0-9_]*=' }
  $setEnvironment = ($environment | ForEach-Object { "set `"$_`" && " }) -join ''
  # cmd /c strips the outermost pair of quotes (cmd /?), leaving: set "K=V" && "exe" doctor ... > "out"
  $command = "/d /c `"$setEnvironment`"$Exe`" doctor -c `"$ConfigFile`" > `"$output`" 2>&1`""
  $task = "datapipe-agent-doctor-$PID"
  Register-ScheduledTask -TaskName $task -Force -ErrorAction Stop `
    -Action (New-ScheduledTaskAction -Execute $env:ComSpec -Argument $command) `
    -Principal (New-ScheduledTaskPrincipal -UserId $who[0] -LogonType ServiceAccount) | Out-Null
  try {
    Start-ScheduledTask -TaskName $task -ErrorAction Stop
    # LastTaskResult 0x41301 = running, 0x41303 = has not run yet (SCHED_S_TASK_RUNNING / _HAS_NOT_RUN).
    $deadline = (Get-Date).AddSeconds(120)
    do {
      Start-Sleep -Seconds 1
      $code = (Get-ScheduledTaskInfo -TaskName $task).LastTaskResult
      $state = (Get-ScheduledTask -TaskName $task).State
    } while (($state -eq 'Running' -or $state -eq 'Queued' -or $code -eq 0x41301 -or $code -eq 0x41303) -and (Get-Date) -lt $deadline)
    if ($state -eq 'Running') { Stop-ScheduledTask -TaskName $task; throw 'doctor did not finish within 120 s' }
  } finally {
    Unregister-ScheduledTask -TaskName $task -Confirm:$false
  }
  $text = Get-Content -LiteralPath $output -Raw
  Remove-Item -LiteralPath $output -Force
  return @{ Output = $text; Code = $code }
}

if (-not $SkipDoctor) {
  Write-Host "doctor as $Account (the service's account, not yours):"
  try {
    $doctor = Invoke-DoctorAsService
  } catch {
    # No Task Scheduler (e.g. Server Core without the ScheduledTasks module): say so and run it
    # here, without this session's proxy and AWS variables; the result may still differ.
    Write-Host "warn  could not run doctor as $Account ($($_.Exception.Message)); running it as you instead, without your HTTP(S)_PROXY, NO_PROXY and AWS_* variables" -ForegroundColor Yellow
    $ErrorActionPreference = 'Continue'
    foreach ($name in @('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE')) {
      Remove-Item -LiteralPath "Env:$name" -ErrorAction SilentlyContinue
    }
    $env:USERPROFILE = @{ LocalService = "$env:SystemRoot\ServiceProfiles\LocalService"; NetworkService = "$env:SystemRoot\ServiceProfiles\NetworkService"; LocalSystem = "$env:SystemRoot\System32\config\systemprofile" }[$Account]
    $doctor = @{ Output = (& $Exe doctor -c $ConfigFile 2>&1 | Out-String); Code = $LASTEXITCODE }
  }
  Write-Host $doctor.Output
  if ($doctor.Output -match 'unknown command') {
    Write-Host "warn  this agent build has no 'doctor' command; skipped the self-test" -ForegroundColor Yellow
  } elseif ($doctor.Code -ne 0) {
    Write-Host 'warn  doctor reported failures (FAIL lines above); fix them. The service keeps retrying by itself.' -ForegroundColor Yellow
  }
}

# 6. The first upload (the service runs one cycle at start). A cycle that finished without an
# upload ends the wait early: its reason is in status and the log now.
if (-not $NoStart -and $WaitSeconds -gt 0) {
  Write-Host "wait  for the first upload confirmed by S3 (up to $WaitSeconds s; the service runs one cycle at start)"
  $ErrorActionPreference = 'Continue'
  $deadline = (Get-Date).AddSeconds($WaitSeconds)
  $verdict = 'timeout'
  while ((Get-Date) -lt $deadline) {
    $status = $null
    try { $status = (& $Exe status --json -c $ConfigFile 2>$null | Out-String) | ConvertFrom-Json } catch { $status = $null }
    if ($status -and $status.lastUpload -and ([datetime]$status.lastUpload.at).ToUniversalTime() -ge $installStartedAt) {
      Write-Host "ok    first upload confirmed at $($status.lastUpload.at): $($status.lastUpload.key)" -ForegroundColor Green
      $verdict = 'ok'
      break
    }
    if ($status -and $status.lastCycle -and ([datetime]$status.lastCycle.finishedAt).ToUniversalTime() -ge $installStartedAt) { $verdict = 'failed'; break }
    Start-Sleep -Seconds 2
  }
  if ($verdict -ne 'ok') {
    if ($verdict -eq 'failed') {
      Write-Host 'warn  the first cycle finished but nothing was uploaded; the data is kept and retried. What status knows:' -ForegroundColor Yellow
    } else {
      Write-Host "warn  no upload confirmed within $WaitSeconds s; the service keeps trying. What status knows:" -ForegroundColor Yellow
    }
    Invoke-Agent @('status', '-c', $ConfigFile) | Out-Null
    Write-Host "Look at: the 'Last error' line above, the newest log in the [logging] dir (default $DataRoot\var\logs), service-stderr.log there, and: & '$Exe' doctor -c '$ConfigFile'"
  }
}

Write-Host ''
Write-Host "Installed. Logs: the [logging] dir of $ConfigFile (default $DataRoot\var\logs\agent-YYYY-MM-DD.log),"
Write-Host '           and service-stdout.log / service-stderr.log in the same folder.'
Write-Host "Status:    & '$Exe' status -c '$ConfigFile'    Service: & '$Exe' service status"
