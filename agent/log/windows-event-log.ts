// Windows Event Log (Application log) entries for the events an administrator's monitoring
// watches: agent started / stopped / stopped by a fatal error, and "the dump is growing" (decided by
// agent/jobs/dump-growth.ts; this module only writes events).
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

// One line per hundred: 1-99 installation, 100s the agent's life, 200s the dump, 300s the log file.
export const WINDOWS_EVENTS = {
  installed: { id: 1, type: 'INFORMATION' },
  started: { id: 100, type: 'INFORMATION' }, stopped: { id: 101, type: 'INFORMATION' }, fatal: { id: 102, type: 'ERROR' },
  dumpGrowing: { id: 200, type: 'WARNING' }, dumpHalfFull: { id: 201, type: 'WARNING' }, dumpNearlyFull: { id: 202, type: 'WARNING' }, dumpFull: { id: 203, type: 'ERROR' }, dumpCleared: { id: 210, type: 'INFORMATION' },
  logFileFailed: { id: 300, type: 'ERROR' }, errorWithoutLogFile: { id: 301, type: 'ERROR' }, logFileRecovered: { id: 310, type: 'INFORMATION' },
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
