// Makes `npm test` work on a fresh machine: the Debian tools the tests run (sqlfluff for the sql/
// checks, the packaging tools for the release package tests, openssl for a CA-file test) are
// installed by .ci/debian-packages.sh when missing, the same script CI uses, the way
// .ci/toolchain.mjs installs the pinned Node. Runs once per `vitest run` as its global setup.
// The script needs root or passwordless sudo and apt; when it cannot install, the error says what
// failed and the one command that fixes it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PACKAGES_SCRIPT = join(REPO_ROOT, '.ci', 'debian-packages.sh');

/** A command the tests run, and the Debian 12 package that ships it. */
export interface SystemTool {
  command: string;
  debianPackage: string;
}

export const TEST_TOOLS: readonly SystemTool[] = [
  { command: 'sqlfluff', debianPackage: 'sqlfluff' },
  { command: 'dpkg-deb', debianPackage: 'dpkg' },
  { command: 'lintian', debianPackage: 'lintian' },
  { command: 'rpmbuild', debianPackage: 'rpm' },
  { command: 'rpm', debianPackage: 'rpm' },
  { command: 'wixl', debianPackage: 'wixl' },
  { command: 'msiinfo', debianPackage: 'msitools' },
  { command: 'osslsigncode', debianPackage: 'osslsigncode' },
  { command: 'openssl', debianPackage: 'openssl' },
];

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** The installer; .ci/debian-packages.sh unless a test passes a stand-in. */
  script?: string;
  log?: (line: string) => void;
}

/** True when `command` is an executable file in one of `env.PATH`'s folders. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Installs the packages of the tools not on PATH; throws, naming them, when that fails. */
export function ensureTools(tools: readonly SystemTool[], options: ProvisionOptions = {}): void {
  const env = options.env ?? process.env;
  const missing = tools.filter((tool) => !onPath(tool.command, env));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))];
  const script = options.script ?? PACKAGES_SCRIPT;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`${missing.map((tool) => tool.command).join(', ')} not on PATH: installing ${packages.join(' ')} with ${script} (apt-get; needs root or sudo)`);
  const result = spawnSync('bash', [script, ...packages], { encoding: 'utf8', env });
  const still = missing.filter((tool) => !onPath(tool.command, env));
  if (result.status === 0 && still.length === 0) return;
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
  throw new Error(
    `${still.map((tool) => tool.command).join(', ') || 'the tools'} are not installed and ${script} could not install them (exit ${String(result.status ?? result.error?.message)})` +
      `${output ? `:\n  ${output}` : ''}\nInstall them once by hand with 'sudo apt-get install ${packages.join(' ')}', then run npm test again.`,
  );
}

/** vitest's global setup: every tool the suite runs is there before any test file starts. */
export default function setup(): void {
  ensureTools(TEST_TOOLS);
}
