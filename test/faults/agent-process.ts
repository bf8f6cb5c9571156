// The agent under test, run the way a service manager runs it: `run -c config.ini` as a child
// process, restarted after it dies (like systemd's Restart=always, after a short random pause).
// The campaign kills it with SIGKILL at chosen moments and restarts it gracefully with SIGTERM;
// any exit the campaign did not cause is recorded as an unexpected exit (a finding).
// Its stdout and stderr are appended to files in the site folder (searched for secrets later).
// A watchdog samples the process's resident memory: past MEMORY_LIMIT_MB it is killed and the
// campaign fails (a file that reads forever, like a link to /dev/zero, must not take the machine
// down with it); a SIGTERM that does not end it within STOP_TIMEOUT_MS is a hang (a finding).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Random } from './random.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_SOURCE = join(root, 'agent', 'cli', 'bin.ts');
const MEMORY_LIMIT_MB = 1500;
const MEMORY_SAMPLE_MS = 500;
const STOP_TIMEOUT_MS = 30_000;
const ONE_SHOT_TIMEOUT_MS = 180_000;

export interface AgentCommand {
  /** Program and leading arguments: the pinned Node with bin.ts, or the built binary. */
  argv: string[];
  env: NodeJS.ProcessEnv;
}

export function agentCommand(binary: string | undefined, extraEnv: NodeJS.ProcessEnv = {}): AgentCommand {
  return {
    argv: binary ? [resolve(binary)] : [process.execPath, AGENT_SOURCE],
    env: { ...process.env, ...extraEnv },
  };
}

export interface UnexpectedExit {
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentSupervisor {
  readonly starts: number;
  readonly kills: number[];
  readonly gracefulRestarts: number;
  /** SIGTERMs that found the process still loading, before its handler was installed: it died
   *  of the signal (a clean stop for systemd; nothing had started yet). */
  readonly termDuringStartup: number;
  readonly unexpectedExits: UnexpectedExit[];
  /** The highest resident memory seen (MB), and how often the watchdog had to kill for it. */
  readonly peakRssMb: number;
  readonly memoryKills: number;
  /** SIGTERMs the agent did not act on within STOP_TIMEOUT_MS (it was then killed -9). */
  readonly stopHangs: number;
  /** True while a process is running. */
  alive(): boolean;
  /** SIGKILL now; the supervisor restarts it after a short pause. Returns false if none ran. */
  kill9(): boolean;
  /** SIGTERM, wait for the exit, then start again. */
  restartGracefully(): Promise<void>;
  /** SIGTERM and no restart; resolves with the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function superviseAgent(command: AgentCommand, configFile: string, outputDir: string, random: Random): AgentSupervisor {
  const output = createWriteStream(join(outputDir, 'agent-output.txt'), { flags: 'a' });
  const state = { starts: 0, gracefulRestarts: 0, termDuringStartup: 0, stopping: false, expectExit: false, child: undefined as ChildProcess | undefined, peakRssMb: 0, memoryKills: 0, stopHangs: 0 };
  const kills: number[] = [];
  const unexpectedExits: UnexpectedExit[] = [];

  const start = (): void => {
    state.starts += 1;
    state.expectExit = false;
    const child = spawnAgent(command, ['run', '-c', configFile], output);
    state.child = child;
    child.once('exit', (code, signal) => {
      if (state.child === child) state.child = undefined;
      if (!state.expectExit) unexpectedExits.push({ at: Date.now(), code, signal });
      if (state.stopping) return;
      // A service manager restarts a dead service after a short pause; vary it to hit start-up.
      setTimeout(() => {
        if (!state.stopping && !state.child) start();
      }, random.int(200, 2000));
    });
  };
  start();
  const watchdog = watchMemory(() => state.child, (rssMb) => {
    state.peakRssMb = Math.max(state.peakRssMb, rssMb);
    if (rssMb <= MEMORY_LIMIT_MB || !state.child) return;
    state.memoryKills += 1;
    state.expectExit = true;
    state.child.kill('SIGKILL');
  });

  const noteStopExit = (exit: { code: number | null; signal: NodeJS.Signals | null }): void => {
    if (exit.signal === 'SIGTERM') state.termDuringStartup += 1;
    else if (exit.code !== 0) unexpectedExits.push({ at: Date.now(), ...exit });
  };
  const waitExit = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
      : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
          const hung = setTimeout(() => {
            state.stopHangs += 1;
            child.kill('SIGKILL');
          }, STOP_TIMEOUT_MS);
          child.once('exit', (code, signal) => {
            clearTimeout(hung);
            done({ code, signal });
          });
        });

  return {
    get starts() {
      return state.starts;
    },
    kills,
    get gracefulRestarts() {
      return state.gracefulRestarts;
    },
    get termDuringStartup() {
      return state.termDuringStartup;
    },
    unexpectedExits,
    get peakRssMb() {
      return state.peakRssMb;
    },
    get memoryKills() {
      return state.memoryKills;
    },
    get stopHangs() {
      return state.stopHangs;
    },
    alive: () => state.child !== undefined,
    kill9() {
      const child = state.child;
      if (!child) return false;
      state.expectExit = true;
      child.kill('SIGKILL');
      kills.push(Date.now());
      return true;
    },
    async restartGracefully() {
      const child = state.child;
      if (!child) return;
      state.stopping = true;
      state.expectExit = true;
      child.kill('SIGTERM');
      noteStopExit(await waitExit(child));
      state.gracefulRestarts += 1;
      state.stopping = false;
      start();
    },
    async stop() {
      state.stopping = true;
      clearInterval(watchdog);
      const child = state.child;
      if (!child) {
        output.end();
        return { code: 0, signal: null };
      }
      state.expectExit = true;
      child.kill('SIGTERM');
      const exit = await waitExit(child);
      noteStopExit(exit);
      output.end();
      return exit;
    },
  };
}

/** Resident memory of a process in MB, from /proc (0 where there is no /proc or it has gone). */
function residentMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the resident memory of the current child every MEMORY_SAMPLE_MS. */
function watchMemory(current: () => ChildProcess | undefined, onSample: (rssMb: number) => void): NodeJS.Timeout {
  return setInterval(() => {
    const pid = current()?.pid;
    onSample(pid === undefined ? 0 : residentMb(pid));
  }, MEMORY_SAMPLE_MS);
}

export interface OneShotResult {
  code: number | null;
  output: string;
  /** Set when the campaign had to kill it: it hung, or its memory passed the watchdog's limit. */
  killedFor?: 'timeout' | 'memory';
}

/** Runs one agent command to completion (the final drain), its output appended to `outputDir`. */
export async function runAgentOnce(command: AgentCommand, args: string[], outputDir: string): Promise<OneShotResult> {
  const output = createWriteStream(join(outputDir, 'agent-output.txt'), { flags: 'a' });
  const child = spawnAgent(command, args, output);
  let text = '';
  let killedFor: OneShotResult['killedFor'];
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const killFor = (reason: NonNullable<OneShotResult['killedFor']>) => {
    killedFor ??= reason;
    child.kill('SIGKILL');
  };
  // A drain that hangs (a FIFO opened for reading, say) or reads forever (a link to /dev/zero)
  // must end the campaign, not stall it or take the machine's memory.
  const hung = setTimeout(() => killFor('timeout'), ONE_SHOT_TIMEOUT_MS);
  const watchdog = watchMemory(() => child, (rssMb) => rssMb > MEMORY_LIMIT_MB && killFor('memory'));
  const code = await new Promise<number | null>((done) => child.once('close', (exitCode) => done(exitCode)));
  clearTimeout(hung);
  clearInterval(watchdog);
  output.end();
  return { code, output: text, ...(killedFor ? { killedFor } : {}) };
}

function spawnAgent(command: AgentCommand, args: string[], output: WriteStream): ChildProcess {
  const [program, ...leading] = command.argv;
  if (!program) throw new Error('agent command is empty');
  const child = spawn(program, [...leading, ...args], { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(output, { end: false });
  child.stderr?.pipe(output, { end: false });
  return child;
}
