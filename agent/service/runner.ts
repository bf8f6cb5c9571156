// The single place the service code runs OS tools (systemctl, systemd-sysusers, nssm, icacls, sc).
// No shell is involved: arguments go to the program as a list, so paths with spaces need no
// quoting here (Node quotes them for Windows' command-line parser). Never throws for a failed or
// missing program; callers decide what a failure means.
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** The command as a person would type it, for messages. */
  display: string;
  /** Exit code; null when the program could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the program does not exist on this machine. */
  missing: boolean;
}

export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

const TIMEOUT_MS = 120_000;

export const runCommand: CommandRunner = (program, args) =>
  new Promise((resolve) => {
    const display = [program, ...args].map(displayArg).join(' ');
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const child = spawn(program, [...args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, timeout: TIMEOUT_MS });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ display, code: null, stdout: '', stderr: error.message, missing: error.code === 'ENOENT' });
    });
    child.on('close', (code) => {
      resolve({ display, code, stdout: decodeToolOutput(Buffer.concat(stdout)), stderr: decodeToolOutput(Buffer.concat(stderr)), missing: false });
    });
  });

/**
 * NSSM and some Windows tools write UTF-16LE when their output is a pipe; everything else writes
 * UTF-8. A NUL in every other byte of the first few characters gives UTF-16 away.
 */
export function decodeToolOutput(bytes: Buffer): string {
  const sample = bytes.subarray(0, 64);
  let oddNuls = 0;
  for (let i = 1; i < sample.length; i += 2) if (sample[i] === 0) oddNuls += 1;
  const utf16 = sample.length >= 4 && oddNuls * 2 >= sample.length / 2;
  const text = utf16 ? bytes.toString('utf16le') : bytes.toString('utf8');
  return text.replace(/^\uFEFF/, '').replace(/\0/g, '');
}

function displayArg(arg: string): string {
  return arg === '' || /[\s"]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg;
}

/** One line for an error message: the command, its exit code and its last words. */
export function describeFailure(result: CommandResult): string {
  if (result.missing) return `${result.display}: the program was not found`;
  const output = (result.stderr.trim() || result.stdout.trim()).split(/\r?\n/).slice(-3).join(' / ');
  return `${result.display} exited with ${result.code ?? 'a signal'}${output ? `: ${output}` : ''}`;
}
