// Running programs under measurement: wall time from here, peak RSS from GNU time (/usr/bin/time
// -f %M, the kernel's maxrss of the child), and CPU and RSS of a live process from /proc. Linux
// only, like the benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size of the child in KiB; undefined without /usr/bin/time. */
  peakRssKb?: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const GNU_TIME = '/usr/bin/time';

/** Runs `command` to completion, timing it; peak RSS too when GNU time is installed. */
export async function runMeasured(command: string, args: string[], options: RunOptions = {}): Promise<MeasuredRun> {
  const withTime = existsSync(GNU_TIME);
  const scratch = withTime ? await mkdtemp(join(tmpdir(), 'bench-time-')) : undefined;
  const timeFile = scratch ? join(scratch, 'time.txt') : undefined;
  const [file, argv] = timeFile ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const wallMs = performance.now() - started;
  let peakRssKb: number | undefined;
  if (timeFile && scratch) {
    const lines = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n');
    const value = Number(lines[lines.length - 1]);
    if (Number.isFinite(value) && value > 0) peakRssKb = value;
    await rm(scratch, { recursive: true, force: true });
  }
  return { ...result, wallMs, ...(peakRssKb === undefined ? {} : { peakRssKb }) };
}

/** Wall time of one short run, in ms (for start-up figures; the spawn cost is in the reference rows). */
export function timeOnce(command: string, args: string[], options: RunOptions = {}): { ms: number; code: number | null; output: string } {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message}`);
  return { ms, code: result.status, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** User + system CPU seconds a live process has used so far (from /proc/<pid>/stat). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields we want come after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds a live process has used so far, to the nanosecond: the scheduler's own run time
 * (first field of /proc/<pid>/task/<tid>/schedstat) summed over its threads. For an idle process
 * that wakes for well under a millisecond at a time this is the figure to trust: utime + stime
 * are counted in whole clock ticks (10 ms) charged to whatever runs when a tick fires, so a few
 * wake-ups that happen to meet a tick read as 10 ms each. Threads that have exited are not
 * counted (the agent's threads live as long as it does).
 */
export async function cpuSecondsPrecise(pid: number): Promise<number> {
  let nanoseconds = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
    nanoseconds += Number(stat.split(' ')[0]) || 0;
  }
  return nanoseconds / 1e9;
}

/** Current resident set size of a live process in KiB (VmRSS). */
export async function residentKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Command and its first line of output, for the environment table ("not installed" if absent). */
export function versionOf(command: string, args: string[]): string {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  if (result.error || result.status !== 0) return 'not installed';
  return `${result.stdout.toString()}${result.stderr.toString()}`.trim().split('\n')[0] ?? '';
}
