// Windows Event Log (Application log) entries for the events an administrator's monitoring
// watches: agent started / stopped / stopped by a fatal error, and "the dump is growing".
//
// Written with Windows' own eventcreate.exe (System32, every Windows since XP/2003), so no native
// module or compiler is needed. Fire-and-forget: a failed or slow eventcreate never blocks or
// fails the agent (the log file stays the record). No-op on other platforms. eventcreate accepts
// ids 1-1000 and creates the event source on first use, which needs administrator rights: the
// installer writes event 1 once as administrator so the service account can write later.
// Event ids are documented in docs/support-guide.md; changing one breaks customers' monitoring.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { redactText } from './redact.ts';

export const WINDOWS_EVENT_SOURCE = 'DatapipeAgent';

export const WINDOWS_EVENTS = {
  installed: { id: 1, type: 'INFORMATION' },
  started: { id: 100, type: 'INFORMATION' },
  stopped: { id: 101, type: 'INFORMATION' },
  fatal: { id: 102, type: 'ERROR' },
  dumpGrowing: { id: 200, type: 'WARNING' },
  dumpHalfFull: { id: 201, type: 'WARNING' },
  dumpNearlyFull: { id: 202, type: 'WARNING' },
  dumpFull: { id: 203, type: 'ERROR' },
  dumpCleared: { id: 210, type: 'INFORMATION' },
  logFileFailed: { id: 300, type: 'ERROR' },
  errorWithoutLogFile: { id: 301, type: 'ERROR' },
  logFileRecovered: { id: 310, type: 'INFORMATION' },
} as const;

export type WindowsEventName = keyof typeof WINDOWS_EVENTS;

/** eventcreate's own limit is larger, but a longer text is no use in the Event Viewer list. */
const MAX_DESCRIPTION = 1_000;
const EVENTCREATE_TIMEOUT_MS = 15_000;

/** The argument list for eventcreate.exe (no shell: each argument is passed as is). */
export function buildEventCreateArgs(name: WindowsEventName, description: string): string[] {
  const event = WINDOWS_EVENTS[name];
  return ['/L', 'APPLICATION', '/T', event.type, '/SO', WINDOWS_EVENT_SOURCE, '/ID', String(event.id), '/D', cleanDescription(description)];
}

/** One line, no double quotes (eventcreate's parser ends /D at one), secrets masked, bounded. */
export function cleanDescription(description: string): string {
  const text = redactText(description).replace(/[\r\n\t]+/g, ' ').replace(/"/g, "'").trim();
  const bounded = text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
  return bounded === '' ? 'datapipe-agent event' : bounded;
}

export function eventCreatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'eventcreate.exe');
}

/**
 * Writes one event on Windows; resolves true when eventcreate succeeded, false when it failed or
 * this is not Windows. Never rejects. Await it only where the process is about to exit.
 */
export function reportWindowsEvent(name: WindowsEventName, description: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (platform !== 'win32') return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = execFile(eventCreatePath(), buildEventCreateArgs(name, description), { timeout: EVENTCREATE_TIMEOUT_MS, windowsHide: true }, (error) => resolve(!error));
      child.unref();
    } catch {
      resolve(false);
    }
  });
}

/** reportWindowsEvent for a process about to exit: waits for eventcreate, but at most `maxWaitMs`. */
export function reportWindowsEventBeforeExit(name: WindowsEventName, description: string, maxWaitMs = 3_000, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), maxWaitMs);
  });
  return Promise.race([reportWindowsEvent(name, description, platform), giveUp]).finally(() => clearTimeout(timer));
}

// --- "the dump is growing" -----------------------------------------------------------------------

export interface DumpObservation {
  files: number;
  bytes: number;
}

export interface DumpEvent {
  name: WindowsEventName;
  description: string;
}

/** Consecutive observations (one per collect cycle) in which the dump gained files. */
export const GROWTH_CYCLES = 6;
const LEVELS = [
  { name: 'dumpFull', fraction: 1.0 },
  { name: 'dumpNearlyFull', fraction: 0.8 },
  { name: 'dumpHalfFull', fraction: 0.5 },
] as const;
/** A level fires again only after usage fell this far below it (no flapping at the line). */
const REARM_MARGIN = 0.1;

/**
 * Decides when the dump deserves an event: it crossed 50 %, 80 % or 100 % of max_dump_mb (once per
 * crossing), or it gained files in GROWTH_CYCLES cycles in a row (S3 has not taken anything for a
 * while), and, after any of these, when it is empty again.
 */
export function createDumpGrowthWatcher(maxDumpMb: number): { observe(usage: DumpObservation): DumpEvent[] } {
  const capBytes = maxDumpMb * 1024 * 1024;
  const fired = new Set<WindowsEventName>();
  let previousFiles: number | undefined;
  let growingFor = 0;
  /** True from the first event until the dump is empty again. */
  let episode = false;

  return {
    observe(usage) {
      const events: DumpEvent[] = [];
      const fraction = usage.bytes / capBytes;
      const sizeText = `${(usage.bytes / 1048576).toFixed(1)} MB in ${usage.files} file(s) of max_dump_mb ${maxDumpMb}`;
      const top = LEVELS.find((level) => fraction >= level.fraction);
      if (top && !fired.has(top.name)) {
        const what = top.fraction >= 1 ? 'is full: collection is paused until uploads free space' : `passed ${top.fraction * 100} % of its cap`;
        events.push({ name: top.name, description: `datapipe-agent: the dump folder ${what} (${sizeText}). Files are kept and retried; fix the upload problem (datapipe-agent status shows the last error).` });
      }
      for (const level of LEVELS) {
        if (fraction >= level.fraction) fired.add(level.name);
        else if (fraction < level.fraction - REARM_MARGIN) fired.delete(level.name);
      }
      growingFor = previousFiles !== undefined && usage.files > previousFiles ? growingFor + 1 : usage.files === 0 || (previousFiles !== undefined && usage.files < previousFiles) ? 0 : growingFor;
      previousFiles = usage.files;
      if (growingFor >= GROWTH_CYCLES && !fired.has('dumpGrowing')) {
        fired.add('dumpGrowing');
        events.push({ name: 'dumpGrowing', description: `datapipe-agent: the dump folder has grown for ${growingFor} cycles in a row (${sizeText}); uploads to S3 are failing. Files are kept and retried; datapipe-agent status shows the last error.` });
      }
      if (events.length > 0) episode = true;
      else if (usage.files === 0 && episode) {
        episode = false;
        fired.clear();
        events.push({ name: 'dumpCleared', description: 'datapipe-agent: the dump folder is empty again; every file was delivered to S3.' });
      }
      return events;
    },
  };
}
