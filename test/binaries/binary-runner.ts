// How the smoke test runs a built binary: directly (Linux) or through .ci/wine.sh (Windows exe
// under wine 10 in the trixie chroot). Both capture stdout/stderr and enforce a time limit that
// kills the whole process group, so a hung wine never hangs CI.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BinaryRunner {
  label: 'linux' | 'windows';
  /** Runs the binary with `args` in `cwd` (a path as the binary sees it). */
  run(args: string[], options?: { cwd?: string; timeoutMs?: number }): Promise<RunResult>;
  /** A host path as the binary sees it (identity on Linux; Z:\... under wine). */
  pathFor(hostPath: string): string;
}

export function runProcess(command: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[smoke: killed after ${timeoutMs / 1000} s]`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function linuxRunner(binary: string): BinaryRunner {
  return {
    label: 'linux',
    run: (args, options = {}) => runProcess(binary, args, { ...options, env: { ...process.env, DATAPIPE_DEBUG: '1' } }),
    pathFor: (hostPath) => hostPath,
  };
}

/**
 * `wineRoot` is the chroot's path on the host; files the exe reads or writes must be inside it
 * (the repository is mounted read-only at its own path, so the exe itself can stay in dist/).
 */
export function wineRunner(repoRoot: string, wineRoot: string, exe: string): BinaryRunner {
  const pathFor = (hostPath: string): string => {
    const inside = hostPath.startsWith(`${wineRoot}/`) ? hostPath.slice(wineRoot.length) : hostPath;
    return `Z:${inside.replaceAll('/', '\\')}`;
  };
  return {
    label: 'windows',
    run: (args, options = {}) => {
      const cwdArgs = options.cwd ? ['--cwd', options.cwd.startsWith(`${wineRoot}/`) ? options.cwd.slice(wineRoot.length) : options.cwd] : [];
      return runProcess('bash', [join(repoRoot, '.ci', 'wine.sh'), 'run', ...cwdArgs, exe, ...args], { timeoutMs: options.timeoutMs ?? 180_000 });
    },
    pathFor,
  };
}

/** The result as one readable line for a FAIL message. */
export function describeRun(result: RunResult): string {
  return `exit ${result.code}; stdout: ${result.stdout.trim().slice(0, 300) || '(empty)'}; stderr: ${result.stderr.trim().slice(-400) || '(empty)'}`;
}
