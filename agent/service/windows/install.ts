// `service install` / `uninstall` / `start` / `stop` on Windows through NSSM. Install: the config
// must live in C:\ProgramData\Datapipe\Agent (its ACL is what keeps the credentials private),
// the storage and log folders are created, the ACLs set (icacls), the service registered or
// updated (nssm), then (re)started. Idempotent: running it again repairs or upgrades.
import { mkdir, rm } from 'node:fs/promises';
import { win32 } from 'node:path';
import type { AgentConfig } from '../../config/types.ts';
import { windowsDataRoot, WINDOWS, type WindowsAccount } from '../layout.ts';
import type { AgentProgram } from '../program.ts';
import { describeFailure, runCommand, type CommandRunner } from '../runner.ts';
import { ServiceError } from '../service-error.ts';
import { icaclsCommands } from './icacls-commands.ts';
import { locateNssm } from './nssm-locate.ts';
import { nssmInstallArgs, nssmRemoveArgs, nssmRestartArgs, nssmSetArgs, nssmStartArgs, nssmStatusArgs, nssmStopArgs, type WindowsServiceSpec } from './nssm-commands.ts';
import { parseNssmStatus } from './status.ts';

export interface WindowsInstallOptions {
  config: AgentConfig;
  program: AgentProgram;
  account: WindowsAccount;
  start: boolean;
  report: (line: string) => void;
  runner?: CommandRunner;
}

export async function installWindowsService(options: WindowsInstallOptions): Promise<void> {
  const runner = options.runner ?? runCommand;
  const { config, report } = options;
  const dataRoot = windowsDataRoot();
  requireInside(config.file, dataRoot);
  const nssm = await locateNssm();
  for (const dir of new Set([config.storage.dir, config.logging.dir])) await mkdir(dir, { recursive: true });
  for (const args of icaclsCommands({ dataRoot, writableDirs: [config.storage.dir, config.logging.dir], account: options.account })) {
    await mustSucceed(runner, 'icacls.exe', args, 'Run the command prompt as Administrator; check the folder is on a local NTFS drive.');
  }
  report(`ok    ${dataRoot}: readable only by Administrators, SYSTEM and ${options.account}; data and logs writable by ${options.account}`);
  if (config.s3.credentialsFile && !isInsideWindows(config.s3.credentialsFile, dataRoot)) {
    report(`warn  ${config.s3.credentialsFile} is outside ${dataRoot}; move it there so only administrators and the service can read it`);
  }
  const keyFile = config.rolesAnywhere?.privateKeyFile;
  if (keyFile && !isInsideWindows(keyFile, dataRoot)) {
    report(`warn  ${keyFile} is outside ${dataRoot}; the service account may not be able to read it: run enroll with private_key_file inside ${dataRoot}`);
  }
  const spec: WindowsServiceSpec = { program: options.program, configFile: config.file, appDirectory: dataRoot, logDir: config.logging.dir, account: options.account };
  const existed = (await runner(nssm, nssmStatusArgs())).code === 0;
  if (!existed) await mustSucceed(runner, nssm, nssmInstallArgs(spec), 'Check that no other service is named DatapipeAgent (sc query DatapipeAgent).');
  for (const args of nssmSetArgs(spec)) await mustSucceed(runner, nssm, args, 'Run the command prompt as Administrator.');
  report(`ok    service ${WINDOWS.name} ${existed ? 'updated' : 'registered'} (runs ${options.program.executable} as ${options.account}, delayed automatic start)`);
  if (!options.start) {
    report('note  not started (--no-start); start it with: datapipe-agent service start');
    return;
  }
  await startWindowsService(runner, report, true);
}

export async function startWindowsService(runner: CommandRunner, report: (line: string) => void, restartIfRunning = false): Promise<void> {
  const nssm = await locateNssm();
  const status = parseNssmStatus(await runner(nssm, nssmStatusArgs()));
  if (!status.installed) throw new ServiceError(`${WINDOWS.name} is not installed.`, 'Install it first: datapipe-agent service install -c <config.ini>');
  if (status.running && !restartIfRunning) {
    report(`ok    ${WINDOWS.name} is already running`);
    return;
  }
  await succeedOrReach(runner, nssm, status.running ? nssmRestartArgs() : nssmStartArgs(), 'SERVICE_RUNNING', `Read the agent's log folder and service-stderr.log there; check the config with: datapipe-agent validate -c <config.ini>`);
  report(`ok    ${WINDOWS.name} started`);
}

export async function stopWindowsService(runner: CommandRunner, report: (line: string) => void): Promise<boolean> {
  const nssm = await locateNssm();
  const status = parseNssmStatus(await runner(nssm, nssmStatusArgs()));
  if (!status.installed) return false;
  if (status.running) await succeedOrReach(runner, nssm, nssmStopArgs(), 'SERVICE_STOPPED', 'Try again; if it persists, end datapipe-agent.exe in Task Manager.');
  report(`ok    ${WINDOWS.name} stopped`);
  return true;
}

export async function uninstallWindowsService(options: { purge: boolean; config?: AgentConfig; report: (line: string) => void; runner?: CommandRunner }): Promise<void> {
  const runner = options.runner ?? runCommand;
  const { report } = options;
  const installed = await stopWindowsService(runner, report);
  if (installed) await mustSucceed(runner, await locateNssm(), nssmRemoveArgs(), 'Close the Services window (services.msc) and try again.');
  report(installed ? `ok    service ${WINDOWS.name} removed` : `ok    service ${WINDOWS.name} was not installed`);
  const dataRoot = windowsDataRoot();
  if (!options.purge) {
    report(`note  kept ${dataRoot} (config, credentials, data, logs); 'service uninstall --purge' removes it`);
    return;
  }
  const folders = new Set([dataRoot, ...(options.config ? [options.config.storage.dir, options.config.logging.dir] : [])]);
  for (const folder of folders) {
    await rm(folder, { recursive: true, force: true });
    report(`ok    removed ${folder}`);
  }
}

async function mustSucceed(runner: CommandRunner, program: string, args: string[], hint: string): Promise<void> {
  const result = await runner(program, args);
  if (result.code !== 0) throw new ServiceError(describeFailure(result), hint);
}

/** How long a start or stop may stay pending: the service manager's own default wait. */
const PENDING_WAIT_MS = 30_000;

/**
 * NSSM gives up waiting after a few seconds and exits 1 with "Unexpected status
 * SERVICE_START_PENDING" when the program is slow to come up (a cold start of a 100 MB exe, an
 * antivirus scan). That is not a failure yet: poll until the service reaches `wanted`.
 */
async function succeedOrReach(runner: CommandRunner, program: string, args: string[], wanted: 'SERVICE_RUNNING' | 'SERVICE_STOPPED', hint: string): Promise<void> {
  const result = await runner(program, args);
  if (result.code === 0) return;
  if (!/_PENDING/.test(`${result.stdout}${result.stderr}`)) throw new ServiceError(describeFailure(result), hint);
  const deadline = Date.now() + PENDING_WAIT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const state = (await runner(program, nssmStatusArgs())).stdout.trim().split(/\s+/)[0];
    if (state === wanted) return;
    if (state !== undefined && !state.endsWith('_PENDING')) break;
  }
  throw new ServiceError(describeFailure(result), hint);
}

function isInsideWindows(path: string, folder: string): boolean {
  const inside = win32.relative(folder.toLowerCase(), path.toLowerCase());
  return inside !== '' && !inside.startsWith('..') && !win32.isAbsolute(inside);
}

function requireInside(configFile: string, dataRoot: string): void {
  if (isInsideWindows(configFile, dataRoot)) return;
  throw new ServiceError(
    `The service reads its config from ${dataRoot}, but ${configFile} is elsewhere.`,
    `Copy it there (with the credentials file): copy "${configFile}" "${dataRoot}\\config.ini", then run: ` +
      `datapipe-agent service install -c "${dataRoot}\\config.ini". install.ps1 does all of this.`,
  );
}
