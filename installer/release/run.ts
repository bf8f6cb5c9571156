// Runs the packaging tools (dpkg-deb, rpmbuild, wixl, osslsigncode, ...) with their output
// captured; a failure becomes one error naming the command, its exit code and its last words.
import { execFile } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      if (missing) {
        reject(new Error(`${command} is not installed; install it (Debian: apt-get install ${DEBIAN_PACKAGE[command] ?? command}) and run the release again`));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}): ${(stderr || stdout).trim().slice(-800)}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

const DEBIAN_PACKAGE: Record<string, string> = {
  'dpkg-deb': 'dpkg',
  rpmbuild: 'rpm',
  wixl: 'wixl',
  msiinfo: 'msitools',
  osslsigncode: 'osslsigncode',
  lintian: 'lintian',
};
