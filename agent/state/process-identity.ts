// Who a pid is right now, so a lock can tell its own process from an unrelated one that got the
// same pid later (pid reuse after a crash, or pid 1 in a fresh container).
//
// Linux only: /proc/<pid>/stat field 22 is the start time in clock ticks after boot, fixed for
// the life of the process and, unlike wall-clock times, untouched when NTP steps the clock; and
// /proc/sys/kernel/random/boot_id changes at every boot (proc(5),
// https://man7.org/linux/man-pages/man5/proc.5.html). So (boot id, pid, start ticks) names one
// process. /proc/<pid>/exe names the executable; it is unreadable for another user's process,
// which then proves nothing. Elsewhere (Windows, macOS) nothing is known here and callers fall
// back to "the pid is alive".
import { readFile, readlink } from 'node:fs/promises';

export interface ProcessIdentity {
  /** Start time in clock ticks after boot; undefined when the system does not say. */
  startTicks?: number;
  /** Its executable's path; undefined when not readable (another user's process, not Linux). */
  executable?: string;
}

async function startTicks(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22 overall; fields[0] here is field 3
  return Number.isInteger(ticks) ? ticks : undefined;
}

/** This boot's id, or undefined where there is none. */
export async function currentBootId(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const text = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  return text.trim() || undefined;
}

export async function identifyProcess(pid: number): Promise<ProcessIdentity> {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return {};
  const [ticks, executable] = await Promise.all([startTicks(pid), readlink(`/proc/${pid}/exe`).catch(() => undefined)]);
  return { ...(ticks === undefined ? {} : { startTicks: ticks }), ...(executable ? { executable: executable.replace(/ \(deleted\)$/, '') } : {}) };
}
