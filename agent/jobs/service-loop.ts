// The service loop behind `run`: takes the storage lock, recovers what a crash left in temp/,
// drains the dump once, runs one collect cycle, then collects and retries on their schedules until
// SIGINT/SIGTERM/SIGBREAK. Each collect cycle first picks up files an earlier failed cycle left in
// temp/ (agent/jobs/recover-temp.ts). On a signal it aborts the step in progress (uploads and
// requests are cancelled; files stay on disk: a temp file whose upload was cut short is moved to
// the dump) and returns within a few seconds.
//
// It lives in jobs/, not service/: it is the scheduled work itself (collect and drain on their
// schedules, where the stages meet through the runtime), and runs the same from a console as under
// systemd or NSSM; service/ is only the OS service manager integration (install, start, status).
// It returns how it stopped and throws what it cannot handle; agent/cli/commands/run.ts turns that
// into the exit code (cli/ is the only place that knows exit codes).
import type { AgentConfig } from '../config/types.ts';
import { LogEvents } from '../log/events.ts';
import { reportWindowsEvent, reportWindowsEventBeforeExit } from '../log/windows-event-log.ts';
import { AGENT_VERSION } from '../version.ts';
import { createDumpGrowthWatcher } from './dump-growth.ts';
import { withLockedRuntime, type Runtime } from './runtime.ts';
import { sleep, startSchedules } from './scheduler.ts';

/** Longest we wait for the step in progress after a stop signal before stopping anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

/** Most a start's first cycle waits: spreads a fleet restarted together, yet keeps it prompt. */
const FIRST_CYCLE_JITTER_SECONDS = 10;

/** How often a start blocked by a full disk is tried again. */
const DISK_FULL_RETRY_MS = 30_000;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * How the loop ended; every one is a requested stop. `late`: the step in progress did not finish
 * within the grace period and was abandoned (its file is kept). `waitingForDisk`: stopped while a
 * start was waiting for disk space, before the loop ran.
 */
export type ServiceOutcome = 'stopped' | 'late' | 'waitingForDisk';

export interface ServiceLoopOptions {
  console: boolean;
  /** Where the lines go that are written before a log file exists (the disk-full wait). */
  writeErr(text: string): void;
}

export async function runServiceLoop(config: AgentConfig, options: ServiceLoopOptions): Promise<ServiceOutcome> {
  // Windows Event Log (no-op elsewhere): a start that fails, e.g. on the lock, is a fatal event too.
  try {
    for (;;) {
      try {
        return await withLockedRuntime(config, 'run', options, (runtime) => runUntilStopped(config, runtime));
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        // Exiting would only make the service manager restart us into the same wall (and give up
        // after a few tries); waiting keeps the service up and resumes by itself once there is room.
        const wait = LogEvents.diskFullAtStart(config.storage.dir, `${(error as NodeJS.ErrnoException).code}: ${(error as Error).message}`, DISK_FULL_RETRY_MS / 1000);
        options.writeErr(`${new Date().toISOString()} error agent: ${wait.message} event=${wait.name}\n`);
        if (await waitUnlessStopped(DISK_FULL_RETRY_MS)) return 'waitingForDisk';
      }
    }
  } catch (error) {
    await reportWindowsEventBeforeExit('fatal', `datapipe-agent stopped because of an error: ${error instanceof Error ? error.message : String(error)} See the newest log file in ${config.logging.dir}.`);
    throw error;
  }
}

function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Waits `ms`; true when a stop signal arrived meanwhile. */
async function waitUnlessStopped(ms: number): Promise<boolean> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  await sleep(ms, stop.signal);
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  return stop.signal.aborted;
}

async function runUntilStopped(config: AgentConfig, runtime: Runtime): Promise<ServiceOutcome> {
  const log = runtime.logger.child('agent');
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shutdown.signal.aborted) return;
    log.info(LogEvents.stopRequested, { signal });
    shutdown.abort();
  };
  // SIGBREAK: Windows service wrappers and consoles send it on Ctrl+Break.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  try {
    log.info(LogEvents.agentStarted, {
      version: AGENT_VERSION,
      pid: process.pid,
      config: config.file,
      customer: config.customer.id,
      locations: config.locations.length,
      schedule: config.openMeteo.schedule,
      retry_schedule: config.s3.retrySchedule,
    });
    await runtime.store.update((state) => {
      state.pid = process.pid;
      state.startedAt = new Date().toISOString();
    });
    void reportWindowsEvent('started', `datapipe-agent ${AGENT_VERSION} started (customer ${config.customer.id}, config ${config.file}).`);
    // Windows Event Log: "the dump is growing" is judged after each collect cycle.
    const dumpWatcher = process.platform === 'win32' ? createDumpGrowthWatcher(config.storage.maxDumpMb) : undefined;
    const watchDump = async (): Promise<void> => {
      if (!dumpWatcher) return;
      const usage = await runtime.spool.dumpUsage().catch(() => undefined);
      for (const event of usage ? dumpWatcher.observe(usage) : []) void reportWindowsEvent(event.name, event.description);
    };
    await runtime.recover();
    const schedules = startSchedules(
      [
        { name: 'collect', schedule: config.openMeteo.schedule, jitterSeconds: config.openMeteo.jitterSeconds, run: async (signal) => {
          const result = await runtime.collect(signal);
          await watchDump();
          return result;
        } },
        { name: 'drain', schedule: config.s3.retrySchedule, jitterSeconds: 0, run: (signal) => runtime.drain(signal) },
      ],
      log,
      shutdown.signal,
    );
    // What an earlier run could not deliver goes out first, not at the first retry tick; then one
    // cycle promptly instead of at the first slot (up to 15 min away), so whoever started the
    // service sees a confirmed upload in `status` within seconds. After the drain: no overlap.
    void schedules.runNow('drain').then(() => schedules.runNow('collect', { jitterSeconds: Math.min(config.openMeteo.jitterSeconds, FIRST_CYCLE_JITTER_SECONDS) }));
    await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
    const finished = schedules.stop().then(() => true);
    const inTime = await Promise.race([finished, sleep(SHUTDOWN_GRACE_MS, new AbortController().signal).then(() => false)]);
    // Anything still in temp/ (an upload cut short) goes to the dump now rather than at next start.
    // A failure here (a full disk) must not keep the service from stopping: the next start does it.
    await runtime.recover().catch((error: unknown) => {
      log.warn(LogEvents.tempNotMovedAtStop, { error: error instanceof Error ? error.message : String(error) });
    });
    log.info(inTime ? LogEvents.agentStopped : LogEvents.agentStoppedAbandoned);
    await reportWindowsEventBeforeExit('stopped', `datapipe-agent ${AGENT_VERSION} stopped.`);
    return inTime ? 'stopped' : 'late';
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}
