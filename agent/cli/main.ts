// The `datapipe-agent` command line: argv -> one command -> exit code. The only place that calls
// process.exit. Commands that need the AWS SDK are imported when run, so `--version`, `--help`
// and `validate` start fast.
import { Command, CommanderError, Option } from 'commander';
import { LockError } from '../errors.ts';
import { redactText } from '../log/redact.ts';
import { defaultConfigFile } from '../service/layout.ts';
import { AGENT_COMMIT, AGENT_VERSION } from '../version.ts';
import { registerServiceCommands } from './commands/service.ts';
import { uneditedExampleProblem } from '../config/example-identity.ts';
import { loadConfigOrReport } from './config-loader.ts';
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';
import { example } from './help-example.ts';
import { writeErr } from './terminal.ts';
import type { AgentConfig } from '../config/types.ts';

// Without -c, the config is where the installers and packages put it (one path per OS).
const configOption = new Option('-c, --config <file>', 'path of the config.ini').default(defaultConfigFile());
const consoleOption = new Option('--console', 'also log to the console (default: when stdout is a terminal)');

const demoOption = new Option('--demo', "allow the unedited example's customer id and bucket (a trial run, not a site)");

/** Runs `action` with the loaded config; invalid config -> exit 2 with every problem listed. */
function withConfig(action: (config: NonNullable<Awaited<ReturnType<typeof loadConfigOrReport>>>) => Promise<ExitCodeValue>) {
  return async (options: { config: string }): Promise<ExitCodeValue> => {
    const config = await loadConfigOrReport(options.config);
    return config ? action(config) : ExitCode.invalidConfig;
  };
}

interface DeliveryFlags {
  config: string;
  demo?: boolean;
  console?: boolean;
}

/** run, once and drain: each takes the config and whether to log to the console too. */
type DeliveryCommand = (config: AgentConfig, options: { console: boolean }) => Promise<ExitCodeValue>;

/** withConfig for the commands that deliver data: they also refuse the unedited example. */
function withSiteConfig(load: () => Promise<DeliveryCommand>) {
  return async (options: DeliveryFlags): Promise<ExitCodeValue> => {
    const config = await loadConfigOrReport(options.config);
    if (!config) return ExitCode.invalidConfig;
    const problem = options.demo === true ? undefined : uneditedExampleProblem(config);
    if (problem) writeErr(`${problem} To try the agent out with the example as it is, add --demo.\n`);
    return problem ? ExitCode.invalidConfig : (await load())(config, { console: consoleWanted(options) });
  };
}

export function buildProgram(setExitCode: (code: ExitCodeValue) => void): Command {
  const program = new Command('datapipe-agent')
    .description('Collects Open-Meteo weather for the configured locations and delivers it to Amazon S3.')
    .version(`${AGENT_VERSION} (commit ${AGENT_COMMIT})`, '-V, --version', 'print the agent version and the commit it was built from')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander hands each action its own options shape
  const register = (name: string, description: string, help: string, action: (options: any) => Promise<ExitCodeValue>): Command =>
    program
      .command(name)
      .description(description)
      .addOption(configOption)
      .addHelpText('after', help)
      .action(async (options: { config: string }) => setExitCode(await action(options)));

  const registerDelivery = (name: string, description: string, help: string, load: () => Promise<DeliveryCommand>): void => {
    register(name, description, help, withSiteConfig(load)).addOption(consoleOption).addOption(demoOption);
  };

  registerDelivery('run', 'run as a service: collect and retry on schedule until SIGINT/SIGTERM',
    example('datapipe-agent run -c /etc/datapipe-agent/config.ini'),
    async () => (await import('./commands/run.ts')).runService);

  registerDelivery('once', 'collect one cycle, upload it, retry the dump once, then exit (0 = all delivered)',
    example('datapipe-agent once -c config.ini && echo delivered'),
    async () => (await import('./commands/once.ts')).runOnce);

  registerDelivery('drain', 'upload everything in the dump now; exit 0 when it is empty',
    example('datapipe-agent drain -c config.ini'),
    async () => (await import('./commands/drain.ts')).runDrain);

  register('validate', 'check a config file; exit 0 if valid (warnings allowed), 2 if not',
    example('datapipe-agent validate -c C:\\ProgramData\\Datapipe\\Agent\\config.ini'),
    async (options: { config: string }) => (await import('./commands/validate.ts')).runValidate(options.config),
  );

  register('status', 'show the last cycle, per-location results, uploads, dump backlog and last error',
    example('datapipe-agent status -c config.ini', 'datapipe-agent status -c config.ini --json > status.json'),
    async (options: { config: string; json?: boolean }) => {
      const config = await loadConfigOrReport(options.config);
      const status = await import('./commands/status.ts');
      if (!config) return status.runStatusWithInvalidConfig(options.config, { json: options.json === true });
      return status.runStatus(config, { json: options.json === true });
    },
  ).option('--json', 'machine-readable output');

  register('init', 'create the data and log folders and check they are writable',
    example('datapipe-agent init -c config.ini'),
    withConfig(async (config) => (await import('./commands/init.ts')).runInit(config)),
  );

  register('doctor', 'commissioning self-test: a PASS/WARN/FAIL checklist with a fix for each failure',
    example('datapipe-agent doctor -c C:\\ProgramData\\Datapipe\\Agent\\config.ini'),
    async (options: { config: string; json?: boolean }) =>
      (await import('./commands/doctor.ts')).runDoctor(options.config, { json: options.json === true }),
  ).option('--json', 'machine-readable output');

  register('support-bundle', 'write one zip for support staff: masked config, recent logs, status, spool inventory, versions',
    example('datapipe-agent support-bundle -c config.ini -o support.zip'),
    async (options: { config: string; output?: string; days: string }) =>
      (await import('./commands/support-bundle.ts')).runSupportBundle(options.config, { output: options.output, days: Number(options.days) }),
  ).option('-o, --output <file>', 'where to write the zip (default: datapipe-support-<host>-<time>.zip in the current folder)')
    .option('--days <n>', 'days of logs to include', '3');

  register('enroll', 'IAM Roles Anywhere: create the private key on this server and a CSR for the company CA',
    example('datapipe-agent enroll -c /etc/datapipe-agent/config.ini'),
    async (options: { config: string; keyType: 'ec' | 'rsa' }) =>
      (await import('./commands/enroll.ts')).runEnroll(options.config, { keyType: options.keyType }),
  ).addOption(new Option('--key-type <type>', 'key to create: ec (P-256) or rsa (2048 bits)').choices(['ec', 'rsa']).default('ec'));

  // Not through `register`: this command takes file names as arguments.
  program
    .command('requeue')
    .description('list the quarantine folder, or send quarantined files again once the cause is fixed')
    .addOption(configOption)
    .argument('[files...]', 'names of quarantined files, as `requeue` without names lists them')
    .option('--all', 'requeue every quarantined data file')
    .addHelpText('after', example('datapipe-agent requeue -c config.ini', 'datapipe-agent requeue -c config.ini acme-001_20261121T101503123Z_3f9a0c1d2e4b5a69.ndjson', 'datapipe-agent requeue -c config.ini --all'))
    .action(async (files: string[], options: { config: string; all?: boolean }) => {
      const config = await loadConfigOrReport(options.config);
      setExitCode(config ? await (await import('./commands/requeue.ts')).runRequeue(config, { files, all: options.all === true }) : ExitCode.invalidConfig);
    });

  registerServiceCommands(program, setExitCode);
  return program;
}

/** --console as commander parsed it (not a scan of process.argv, which main() may not have been given). */
function consoleWanted(options: { console?: boolean }): boolean {
  return options.console === true || process.stdout.isTTY === true;
}

export async function main(argv: string[]): Promise<ExitCodeValue> {
  let exitCode: ExitCodeValue = ExitCode.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidConfig;
    }
    if (error instanceof LockError) {
      writeErr(`${error.message}\n`);
      return ExitCode.locked;
    }
    const message = error instanceof Error ? error.message : String(error);
    writeErr(`error: ${redactText(message)}\n`);
    if (process.env.DATAPIPE_DEBUG && error instanceof Error) writeErr(`${redactText(error.stack ?? '')}\n`);
    return ExitCode.failed;
  }
}
