// Renders the systemd unit from the template (pure: text in, text out) and reads back what an
// installed unit points at, so `uninstall --purge` knows which folders are the agent's.
import type { AgentProgram } from '../program.ts';
import { ServiceError } from '../service-error.ts';
import { UNIT_TEMPLATE } from './unit-template.ts';

export interface UnitValues {
  user: string;
  /** The storage folder; the service starts there. */
  workingDir: string;
  program: AgentProgram;
  /** Absolute path of config.ini as the running system sees it (no staging root). */
  configFile: string;
  /** Storage and log folders: the only places ProtectSystem=strict leaves writable. */
  readWritePaths: string[];
}

export function renderUnit(values: UnitValues, template: string = UNIT_TEMPLATE): string {
  const agent = [values.program.executable, ...values.program.leadingArgs].map(quoteExecWord).join(' ');
  const replacements: Record<string, string> = {
    '@USER@': values.user,
    '@WORKING_DIR@': quotePathWord(values.workingDir),
    '@AGENT@': agent,
    '@CONFIG@': quoteExecWord(values.configFile),
    '@READ_WRITE_PATHS@': [...new Set(values.readWritePaths)].map(quotePathWord).join(' '),
  };
  return template.replace(/@[A-Z_]+@/g, (placeholder) => {
    const value = replacements[placeholder];
    if (value === undefined) throw new Error(`unit template: unknown placeholder ${placeholder}`);
    return value;
  });
}

/** One word of ExecStart=: quoted when needed; `%` and `$` escaped so systemd keeps them literally. */
export function quoteExecWord(word: string): string {
  rejectLineBreaks(word);
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(escaped) || escaped === '' ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** One path of WorkingDirectory= / ReadWritePaths=: quoted when it has spaces; `%` escaped. */
export function quotePathWord(path: string): string {
  rejectLineBreaks(path);
  if (!path.startsWith('/')) throw new ServiceError(`${path} is not an absolute path`, 'Use absolute paths in the config for [storage] dir and [logging] dir.');
  const escaped = path.replace(/%/g, '%%');
  return /[\s"\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

function rejectLineBreaks(value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new ServiceError(`a path contains a line break: ${JSON.stringify(value)}`, 'Rename the file or folder so its path has no line breaks.');
  }
}

/** The config path an installed unit runs with (from its ExecStart=), or undefined. */
export function configFileOfUnit(unitText: string): string | undefined {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  const match = line?.match(/ run --config ("(?:[^"\\]|\\.)*"|\S+)\s*$/);
  if (!match?.[1]) return undefined;
  const word = match[1];
  const unquoted = word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word;
  return unquoted.replace(/%%/g, '%').replace(/\$\$/g, '$');
}
