// `datapipe-agent service install|uninstall|start|stop|set|status`: registers the agent with the OS
// service manager (systemd on Linux, NSSM + the service manager on Windows). The service code is
// imported only when one of these runs, so other commands start fast. Exit codes: 0 done (status:
// installed and running), 1 failed or not running (the reason and the fix on stderr), 2 bad
// command line or invalid config.
import { Option, type Command } from 'commander';
import { uneditedExampleProblem } from '../../config/example-identity.ts';
import { defaultConfigFile } from '../../service/layout.ts';
import { loadConfigOrReport } from '../config-loader.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { example } from '../help-example.ts';
import { writeErr, writeOut } from '../terminal.ts';

type ServiceModule = typeof import('../../service/index.ts');

const report = (line: string): void => {
  writeOut(`${line}\n`);
};

/** Runs a service action; a ServiceError becomes two lines on stderr (what failed, what to do) and exit 1. */
async function guarded(action: (service: ServiceModule) => Promise<ExitCodeValue>): Promise<ExitCodeValue> {
  const service = await import('../../service/index.ts');
  try {
    return await action(service);
  } catch (error) {
    if (!(error instanceof service.ServiceError)) throw error;
    writeErr(`error: ${error.message}\nfix:   ${error.hint}\n`);
    return ExitCode.failed;
  }
}

interface InstallFlags {
  config: string;
  root?: string;
  start: boolean;
  bin?: string;
  account?: 'LocalService' | 'NetworkService' | 'LocalSystem';
}

export function registerServiceCommands(program: Command, setExitCode: (code: ExitCodeValue) => void): void {
  const service = program
    .command('service')
    .description('install, remove, start, stop or query the agent as an OS service (systemd / Windows service)')
    .addHelpText('after', example('sudo datapipe-agent service install -c /etc/datapipe-agent/config.ini', 'datapipe-agent service status'));

  service
    .command('install')
    .description('register the agent as a service that starts at boot, and start it (run again to repair or upgrade)')
    .addOption(new Option('-c, --config <file>', 'path of the config.ini the service runs with').default(defaultConfigFile()))
    .option('--no-start', 'register and enable, but do not start now')
    .option('--bin <path>', 'the agent program the service runs (default: this program)')
    .option('--root <dir>', 'Linux: write the files below this staging folder (like DESTDIR); nothing is registered with systemd')
    .addOption(new Option('--account <name>', 'Windows: the account the service runs as').choices(['LocalService', 'NetworkService', 'LocalSystem']))
    .addHelpText('after', example('sudo datapipe-agent service install -c /etc/datapipe-agent/config.ini', 'datapipe-agent service install -c "C:\\ProgramData\\Datapipe\\Agent\\config.ini"'))
    .action(async (flags: InstallFlags) => setExitCode(await guarded(async (svc) => {
      await svc.checkPrivileges('install', flags.root);
      const config = await loadConfigOrReport(flags.config);
      if (!config) return ExitCode.invalidConfig;
      const example = uneditedExampleProblem(config);
      if (example) {
        writeErr(`${example} A service is never installed with the example's identity.\n`);
        return ExitCode.invalidConfig;
      }
      await svc.installService(config, { noStart: !flags.start, ...(flags.root ? { root: flags.root } : {}), ...(flags.bin ? { binary: flags.bin } : {}), ...(flags.account ? { account: flags.account } : {}) }, report);
      return ExitCode.ok;
    })));

  service
    .command('uninstall')
    .description('stop and remove the service; config, data and logs stay unless --purge')
    .option('-c, --config <file>', 'the config the service used (default: the one the installed service names)')
    .option('--purge', 'also delete the config, credentials, data (including undelivered files) and logs')
    .option('--root <dir>', 'Linux: the staging folder given to install --root')
    .addHelpText('after', example('sudo datapipe-agent service uninstall', 'sudo datapipe-agent service uninstall --purge'))
    .action(async (flags: { config?: string; purge?: boolean; root?: string }) => setExitCode(await guarded(async (svc) => {
      await svc.checkPrivileges('uninstall', flags.root);
      await svc.uninstallService({ purge: flags.purge === true, ...(flags.root ? { root: flags.root } : {}), ...(flags.config ? { configFile: flags.config } : {}) }, report);
      return ExitCode.ok;
    })));

  const descriptions = { start: 'start the installed service', stop: 'stop the installed service gracefully (the step in progress finishes)' };
  for (const name of ['start', 'stop'] as const) {
    service
      .command(name)
      .description(descriptions[name])
      .action(async () => setExitCode(await guarded(async (svc) => {
        await svc.checkPrivileges(name);
        await (name === 'start' ? svc.startService(report) : svc.stopService(report));
        return ExitCode.ok;
      })));
  }

  service
    .command('set')
    .description('Windows: change one NSSM setting of the service (AppEnvironmentExtra) and restart it so it takes effect')
    .argument('<setting>', 'AppEnvironmentExtra')
    .argument('[values...]', 'KEY=VALUE pairs; none clears the setting')
    .addHelpText('after', example('datapipe-agent service set AppEnvironmentExtra HTTPS_PROXY=http://proxy.corp:8080', 'datapipe-agent service set AppEnvironmentExtra'))
    .action(async (setting: string, values: string[]) => setExitCode(await guarded(async (svc) => {
      if (process.platform === 'win32') await svc.checkPrivileges('set');
      await svc.setServiceSetting(setting, values, report);
      return ExitCode.ok;
    })));

  service
    .command('status')
    .description('whether the service is installed and running (exit 0 only when running)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => setExitCode(await guarded(async (svc) => {
      const status = await svc.queryServiceStatus();
      if (flags.json) writeOut(`${JSON.stringify(status, null, 2)}\n`);
      else writeOut(`${status.name} (${status.manager}): ${status.installed ? (status.running ? 'running' : 'installed, not running') : 'not installed'}. ${status.detail}\n`);
      return status.running ? ExitCode.ok : ExitCode.failed;
    })));
}
