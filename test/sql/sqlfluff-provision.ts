// Makes `npm test` work on a fresh machine: when sqlfluff (the Debian 12 package, 1.4.5) is not on
// PATH, the sqlfluff check installs it with .ci/sql-tools.sh, the same script CI runs, the way
// .ci/toolchain.mjs installs the pinned Node. The script needs root or passwordless sudo and apt;
// when it cannot install, the error says what failed and the one command that fixes it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './sql-scripts.ts';

export const SQL_TOOLS_SCRIPT = join(REPO_ROOT, '.ci', 'sql-tools.sh');

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** The installer; .ci/sql-tools.sh unless a test passes a stand-in. */
  script?: string;
  log?: (line: string) => void;
}

/** `sqlfluff --version` output, or undefined when sqlfluff is not runnable with this env. */
export function probeSqlfluff(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const result = spawnSync('sqlfluff', ['--version'], { encoding: 'utf8', env });
  return result.error || result.status !== 0 ? undefined : result.stdout.trim();
}

/** Returns sqlfluff's version line, installing the package first when it is missing. */
export function ensureSqlfluff(options: ProvisionOptions = {}): string {
  const env = options.env ?? process.env;
  const found = probeSqlfluff(env);
  if (found) return found;
  const script = options.script ?? SQL_TOOLS_SCRIPT;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`sqlfluff is not on PATH: installing it with ${script} (apt-get install sqlfluff; needs root or sudo)`);
  const result = spawnSync('bash', [script], { encoding: 'utf8', env });
  const installed = probeSqlfluff(env);
  if (result.status === 0 && installed) return installed;
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
  throw new Error(
    `sqlfluff is not installed and ${script} could not install it (exit ${String(result.status ?? result.error?.message)})` +
      `${output ? `:\n  ${output}` : ''}\nInstall it once by hand with 'sudo apt-get install sqlfluff' (Debian 12 ships 1.4.5), then run npm test again.`,
  );
}
