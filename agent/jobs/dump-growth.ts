// Decides when the dump deserves a Windows Event Log entry (agent/log/windows-event-log.ts writes
// it): after each collect cycle the service loop (agent/jobs/service-loop.ts) hands in the dump's
// usage (Spool.dumpUsage), and this says whether it crossed a share of [storage] max_dump_mb, kept
// growing, or emptied again. Pure and clock-free, so it is tested on any OS.
import type { WindowsEventName } from '../log/windows-event-log.ts';

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
