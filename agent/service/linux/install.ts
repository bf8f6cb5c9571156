// `service install` / `uninstall` on Linux. Install: system user, /etc/datapipe-agent
// (root:datapipe-agent 0750, config 0640, credentials 0600 owned by the service user), storage and
// log folders owned by the service user (0750), the unit, then daemon-reload, enable and
// (re)start. Every step is idempotent, so running it again repairs or upgrades an install. With a
// staging root nothing is registered with systemd and the user is created in the root's
// /etc/passwd (systemd-sysusers --root).
import { chmod, chown, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../../config/types.ts';
import { LINUX } from '../layout.ts';
import type { AgentProgram } from '../program.ts';
import { runCommand, type CommandRunner } from '../runner.ts';
import { checkServicePaths, type ServicePaths } from './paths-check.ts';
import type { Staging } from './staging.ts';
import { requireSystemd, systemctl, systemdIsRunning, UNIT } from './systemctl.ts';
import { renderUnit } from './unit.ts';
import { ensureServiceUser, lookUpAccount, type ServiceAccount } from './users.ts';

export interface LinuxInstallOptions {
  config: AgentConfig;
  staging: Staging;
  program: AgentProgram;
  start: boolean;
  report: (line: string) => void;
  runner?: CommandRunner;
}

export async function installLinuxService(options: LinuxInstallOptions): Promise<void> {
  const { staging, report } = options;
  const runner = options.runner ?? runCommand;
  const paths = checkServicePaths(options.config, staging);
  const account = await ensureServiceUser(staging, runner, report);
  if (!canChown()) report('note  not running as root: modes are set, owners are not (chown them on the target)');
  await secureConfigFiles(paths, staging, account, report);
  for (const dir of new Set([paths.storageDir, paths.logDir])) await prepareDataFolder(staging.onHost(dir), account, report);
  await writeUnit(options, paths);
  if (staging.staged) {
    report(`note  staging root ${staging.root}: the service is not registered with systemd; on the target run: systemctl daemon-reload && systemctl enable --now ${UNIT}`);
    return;
  }
  if (!options.start) {
    report(`note  not started (--no-start); start it with: datapipe-agent service start`);
    return;
  }
  await requireSystemd('register the service');
  await systemctl(['daemon-reload'], runner);
  await systemctl(['enable', UNIT], runner);
  // restart, not start: an upgrade must run the new binary.
  await systemctl(['restart', UNIT], runner);
  report(`ok    ${UNIT} enabled and started`);
}

async function secureConfigFiles(paths: ServicePaths, staging: Staging, account: ServiceAccount, report: (line: string) => void): Promise<void> {
  const configDir = staging.onHost(LINUX.configDir);
  await mkdir(configDir, { recursive: true });
  await setOwnerAndMode(configDir, 0, account.gid, 0o750);
  await setOwnerAndMode(staging.onHost(paths.configFile), 0, account.gid, 0o640);
  report(`ok    ${LINUX.configDir} root:${LINUX.user} 0750, ${paths.configFile} 0640`);
  if (paths.credentialsFile) {
    // 0600 and owned by the service user: the agent warns when anyone else can read the keys.
    await setOwnerAndMode(staging.onHost(paths.credentialsFile), account.uid, account.gid, 0o600);
    report(`ok    ${paths.credentialsFile} ${LINUX.user} 0600`);
  }
  if (paths.privateKeyFile) {
    // enroll ran as root: the key is root's 0600 in a 0700 folder. The service user must read it;
    // nobody else may.
    const keyDir = dirname(paths.privateKeyFile);
    if (keyDir.startsWith(`${LINUX.configDir}/`)) await setOwnerAndMode(staging.onHost(keyDir), 0, account.gid, 0o750);
    await setOwnerAndMode(staging.onHost(paths.privateKeyFile), account.uid, account.gid, 0o600);
    report(`ok    ${paths.privateKeyFile} ${LINUX.user} 0600`);
  }
}

/** Creates the folder and hands it (and what an earlier run as root left in it) to the service user. */
async function prepareDataFolder(dir: string, account: ServiceAccount, report: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chownTree(dir, account);
  await chmod(dir, 0o750);
  report(`ok    ${dir} ${LINUX.user} 0750`);
}

async function chownTree(path: string, account: ServiceAccount): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return; // never follow links out of the agent's folders
  if (canChown()) await chown(path, account.uid, account.gid);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), account);
}

/** Only root can give files away; a staging install as another user sets modes only. */
const canChown = (): boolean => process.getuid?.() === 0;

async function setOwnerAndMode(path: string, uid: number, gid: number, mode: number): Promise<void> {
  if (canChown()) await chown(path, uid, gid);
  await chmod(path, mode);
}

async function writeUnit(options: LinuxInstallOptions, paths: ServicePaths): Promise<void> {
  const { staging } = options;
  const program: AgentProgram = {
    executable: staging.toFinal(options.program.executable),
    leadingArgs: options.program.leadingArgs.map((arg) => staging.toFinal(arg)),
  };
  const text = renderUnit({ user: LINUX.user, workingDir: paths.storageDir, program, configFile: paths.configFile, readWritePaths: [paths.storageDir, paths.logDir] });
  const file = staging.onHost(LINUX.unitFile);
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  if (previous === text) {
    options.report(`ok    ${LINUX.unitFile} unchanged`);
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, text, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
  options.report(`ok    ${LINUX.unitFile} ${previous === undefined ? 'written' : 'updated'} (runs ${program.executable})`);
}

export interface LinuxUninstallOptions {
  staging: Staging;
  purge: boolean;
  /** The config the service used, when known: its storage and log folders are purged. */
  config?: AgentConfig;
  report: (line: string) => void;
  runner?: CommandRunner;
}

export async function uninstallLinuxService(options: LinuxUninstallOptions): Promise<void> {
  const { staging, report } = options;
  const runner = options.runner ?? runCommand;
  const unitFile = staging.onHost(LINUX.unitFile);
  const installed = await readFile(unitFile, 'utf8').then(() => true, () => false);
  if (!staging.staged && (await systemdIsRunning())) {
    // disable --now stops it too; harmless when it is not installed.
    await runner('systemctl', ['disable', '--now', UNIT]);
  }
  await rm(unitFile, { force: true });
  if (!staging.staged && (await systemdIsRunning())) await systemctl(['daemon-reload'], runner);
  report(installed ? `ok    ${UNIT} stopped and removed` : `ok    ${UNIT} was not installed`);
  if (!options.purge) {
    report(`note  kept ${LINUX.configDir}, the data and the logs (and user ${LINUX.user}); 'service uninstall --purge' removes them`);
    return;
  }
  await purgeLinuxData(options, runner);
}

async function purgeLinuxData(options: LinuxUninstallOptions, runner: CommandRunner): Promise<void> {
  const { staging, report } = options;
  const paths = options.config ? checkServicePaths(options.config, staging) : undefined;
  const folders = new Set([paths?.storageDir ?? LINUX.stateDir, paths?.logDir ?? LINUX.logDir, LINUX.configDir]);
  for (const folder of folders) {
    await rm(staging.onHost(folder), { recursive: true, force: true });
    report(`ok    removed ${folder}`);
  }
  await rm(staging.onHost(LINUX.sysusersFile), { force: true });
  if (!staging.staged && (await lookUpAccount(staging))) {
    const result = await runner('userdel', [LINUX.user]);
    report(result.code === 0 ? `ok    removed user ${LINUX.user}` : `warn  could not remove user ${LINUX.user} (userdel exited ${result.code}); remove it by hand`);
  }
}
