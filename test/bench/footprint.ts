// Section 3: the footprint of the shipped Linux binary (dist/datapipe-agent-linux-x64): start-up
// time of `--version`, `validate` and `status` beside reference programs (/bin/true: the cost of
// spawning anything; `node -e 0`: the runtime's own floor), binary size, and, for `run`, RSS after
// its first cycle and CPU while idle after it (from /proc). Without the binary, the same is
// measured for the agent run from source and labelled so.
//
// What the idle CPU counts: the agent's own process (all its threads; `run` starts no child
// processes), as the scheduler's run time (/proc/<pid>/task/*/schedstat, nanoseconds) and, beside
// it, as utime + stime (/proc/<pid>/stat, whole 10 ms ticks: coarse for an idle process), from the moment status.json records the first cycle (the one `run` makes at
// start) to the end of the window. Start-up and that cycle are outside it; the collect schedule
// never fires inside it; the retry schedule (every 5 minutes, as config.example.ini) does, and
// those passes on an empty dump are part of idle. Until issue 10 the window also held a second,
// scheduled cycle 20 s after start (written when `run` had no start cycle), and the figure was
// taken while other benchmarks loaded the machine.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_BIN } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { cpuSeconds, cpuSecondsPrecise, residentKb, timeOnce } from './proc.ts';
import { startCountedS3Server } from './s3-counter.ts';
import { BENCH_BUCKET, createBenchSite } from './site.ts';
import { summarise, type Summary } from './stats.ts';

export const BINARY = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'datapipe-agent-linux-x64');

export interface StartupRow {
  label: string;
  /** Reference rows are not the agent; they show what limits the agent's figure. */
  reference: boolean;
  ms: Summary;
}

export interface IdleFigures {
  minutes: number;
  rssAfterFirstCycleMb: number;
  rssAtEndMb: number;
  /** CPU over the whole idle window (scheduler run time). */
  cpuPercentOfOneCore: number;
  /** The same from utime + stime in clock ticks (the method of the figures before issue 10). */
  cpuPercentFromTicks: number;
  /** CPU seconds per minute of the window (where the idle CPU goes: retry passes, GC after the cycle). */
  cpuSecondsByMinute: number[];
  /** Retry passes the window held (5-minute marks it crossed). */
  retryPasses: number;
  /** CPU of start-up plus the first cycle: outside the window, shown for scale. */
  cpuSecondsUntilIdle: number;
  firstCycleMs: number;
}

export interface FootprintFigures {
  /** What was measured: the binary, or the source when the binary is not built. */
  subject: 'binary' | 'source';
  binaryBytes?: number;
  startupRuns: number;
  startup: StartupRow[];
  idle?: IdleFigures;
  idleFailure?: string;
}

/** `run` makes its first cycle at start, after the start-up drain; a slow start on a loaded machine gets this long. */
const FIRST_CYCLE_WITHIN_MS = 60_000;
const RETRY_EVERY_MINUTES = 5;

interface Subject {
  file: string;
  prefixArgs: string[];
}

export async function benchFootprint(options: { startupRuns: number; idleMinutes: number }, log: (line: string) => void): Promise<FootprintFigures> {
  const built = existsSync(BINARY);
  const subject: Subject = built ? { file: BINARY, prefixArgs: [] } : { file: process.execPath, prefixArgs: [AGENT_BIN] };
  if (!built) log(`footprint: ${BINARY} not built (npm run build:bin); measuring the agent from source instead`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-footprint-'));
  const s3 = await startCountedS3Server(BENCH_BUCKET);
  const stub = await startOpenMeteoStub();
  try {
    const site = await createBenchSite(join(dir, 'site'), { s3: s3.server, openMeteoUrl: stub.url, locations: 10 });
    const startup = measureStartup(subject, site.configFile, options.startupRuns, built);
    for (const row of startup) log(`footprint start-up ${row.label}: median ${row.ms.median.toFixed(1)} ms`);
    const figures: FootprintFigures = { subject: built ? 'binary' : 'source', startupRuns: options.startupRuns, startup, ...(built ? { binaryBytes: statSync(BINARY).size } : {}) };
    try {
      figures.idle = await measureIdle(subject, join(dir, 'idle'), { s3Server: s3.server, openMeteoUrl: stub.url }, options.idleMinutes, log);
    } catch (error) {
      figures.idleFailure = error instanceof Error ? error.message : String(error);
      log(`footprint idle: FAILED: ${figures.idleFailure}`);
    }
    return figures;
  } finally {
    await stub.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs every command `runs` times, interleaved, after two warm-up rounds (page cache). */
function measureStartup(subject: Subject, configFile: string, runs: number, built: boolean): StartupRow[] {
  const name = built ? 'binary' : 'source';
  const commands: { label: string; reference: boolean; file: string; args: string[] }[] = [
    { label: '/bin/true (spawn cost)', reference: true, file: '/bin/true', args: [] },
    { label: `node -e 0 (Node ${process.version} floor)`, reference: true, file: process.execPath, args: ['-e', '0'] },
    { label: `${name} --version`, reference: false, file: subject.file, args: [...subject.prefixArgs, '--version'] },
    { label: `${name} validate -c config.ini`, reference: false, file: subject.file, args: [...subject.prefixArgs, 'validate', '-c', configFile] },
    { label: `${name} status -c config.ini`, reference: false, file: subject.file, args: [...subject.prefixArgs, 'status', '-c', configFile] },
  ];
  if (built) commands.push({ label: 'source --version (for comparison)', reference: true, file: process.execPath, args: [AGENT_BIN, '--version'] });
  const samples = commands.map(() => [] as number[]);
  const env = { PATH: process.env.PATH, HOME: tmpdir() };
  for (let round = -2; round < runs; round += 1) {
    commands.forEach((command, i) => {
      const result = timeOnce(command.file, command.args, { env });
      if (result.code !== 0) throw new Error(`${command.label} exited ${result.code}: ${result.output.trim().slice(0, 300)}`);
      if (round >= 0) samples[i]?.push(result.ms);
    });
  }
  return commands.map((command, i) => ({ label: command.label, reference: command.reference, ms: summarise(samples[i] ?? []) }));
}

/**
 * Starts `run`, waits for the cycle it makes at start, then watches the process for `minutes`:
 * the collect schedule is the site default (never within a benchmark), the retry schedule every
 * 5 minutes, so the window holds the retry passes on an empty dump and nothing else.
 */
async function measureIdle(
  subject: Subject,
  dir: string,
  peers: { s3Server: Parameters<typeof createBenchSite>[1]['s3']; openMeteoUrl: string },
  minutes: number,
  log: (line: string) => void,
): Promise<IdleFigures> {
  const site = await createBenchSite(dir, { s3: peers.s3Server, openMeteoUrl: peers.openMeteoUrl, locations: 10, retrySchedule: `*/${RETRY_EVERY_MINUTES} * * * *` });
  const child = spawn(subject.file, [...subject.prefixArgs, 'run', '-c', site.configFile], { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: dir } });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('run did not start');
    const firstCycleMs = await waitForFirstCycle(site.storageDir, FIRST_CYCLE_WITHIN_MS, exited);
    const rssAfterFirstCycleMb = (await residentKb(pid)) / 1024;
    const cpuBefore = await cpuSecondsPrecise(pid);
    const ticksBefore = await cpuSeconds(pid);
    log(`footprint idle: first cycle done, RSS ${rssAfterFirstCycleMb.toFixed(1)} MB, CPU so far ${cpuBefore.toFixed(2)} s; watching for ${minutes} minute(s)`);
    const started = performance.now();
    const startedAt = Date.now();
    const cpuSecondsByMinute: number[] = [];
    let previous = cpuBefore;
    for (let minute = 0; minute < Math.ceil(minutes); minute += 1) {
      const minuteEnd = Math.min((minute + 1) * 60_000, minutes * 60_000);
      await new Promise((done) => setTimeout(done, Math.max(0, minuteEnd - (performance.now() - started))));
      const now = await cpuSecondsPrecise(pid);
      cpuSecondsByMinute.push(now - previous);
      previous = now;
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    const figures: IdleFigures = {
      minutes,
      rssAfterFirstCycleMb,
      rssAtEndMb: (await residentKb(pid)) / 1024,
      cpuPercentOfOneCore: ((previous - cpuBefore) / elapsedSeconds) * 100,
      cpuPercentFromTicks: (((await cpuSeconds(pid)) - ticksBefore) / elapsedSeconds) * 100,
      cpuSecondsByMinute,
      retryPasses: countRetryMarks(startedAt, Date.now()),
      cpuSecondsUntilIdle: cpuBefore,
      firstCycleMs,
    };
    log(`footprint idle: CPU ${figures.cpuPercentOfOneCore.toFixed(3)} % (ticks: ${figures.cpuPercentFromTicks.toFixed(3)} %), by minute ${cpuSecondsByMinute.map((value) => value.toFixed(3)).join(' ')} s; ${figures.retryPasses} retry pass(es)`);
    return figures;
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The `*\/5 * * * *` marks between two instants (each fires one retry pass). */
function countRetryMarks(fromMs: number, toMs: number): number {
  const every = RETRY_EVERY_MINUTES * 60_000;
  return Math.floor(toMs / every) - Math.floor(fromMs / every);
}

async function waitForFirstCycle(storageDir: string, timeoutMs: number, exited: Promise<number | null>): Promise<number> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`run exited with code ${exitCode} before its first cycle`);
    const cycle = await readLastCycle(storageDir);
    if (cycle) return new Date(cycle.finishedAt).getTime() - new Date(cycle.startedAt).getTime();
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`no cycle finished within ${timeoutMs / 1000} s of start (run makes one cycle at start, after the start-up drain)`);
}

async function readLastCycle(storageDir: string): Promise<{ startedAt: string; finishedAt: string } | undefined> {
  try {
    const state = JSON.parse(await readFile(join(storageDir, 'state', 'status.json'), 'utf8')) as { lastCycle?: { startedAt: string; finishedAt: string } };
    return state.lastCycle;
  } catch {
    return undefined; // not written yet, or being replaced at this moment
  }
}
