// Clock offset against the servers' `Date` headers. S3 rejects requests signed more than
// 15 minutes off (RequestTimeTooSkewed), so that is a FAIL; a minute or more is a WARN (the
// offset grows without NTP). The header has 1 s resolution; offsets within the measurement's
// uncertainty count as zero.
import type { ProbeResult } from './probe.ts';
import { fail, pass, skip, warn, type CheckResult } from './types.ts';

export const CLOCK_FAIL_MS = 15 * 60_000;
export const CLOCK_WARN_MS = 60_000;

export interface ClockReading {
  host: string;
  /** Server clock minus this machine's clock; positive: this machine is behind. */
  offsetMs: number;
  uncertaintyMs: number;
}

export function readingsFrom(probes: ProbeResult[]): ClockReading[] {
  const readings: ClockReading[] = [];
  for (const probe of probes) {
    if (probe.reachable && probe.offsetMs !== undefined) {
      readings.push({ host: probe.host, offsetMs: probe.offsetMs, uncertaintyMs: probe.uncertaintyMs ?? 1000 });
    }
  }
  return readings;
}

/** The offset beyond its uncertainty (0 when within it), keeping the sign. */
export function effectiveOffset(reading: ClockReading): number {
  const beyond = Math.max(0, Math.abs(reading.offsetMs) - reading.uncertaintyMs);
  return Math.sign(reading.offsetMs) * beyond;
}

export function describeOffset(ms: number): string {
  const seconds = Math.abs(ms) / 1000;
  const size = seconds >= 120 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(1)} s`;
  return ms === 0 ? 'in sync' : `${size} ${ms > 0 ? 'behind' : 'ahead of'} the server`;
}

export function checkClock(readings: ClockReading[]): CheckResult {
  const title = 'Clock offset (servers\' Date headers)';
  if (readings.length === 0) return skip('clock', title, 'no server answered, so the offset could not be measured');
  const worst = readings.reduce((a, b) => (Math.abs(effectiveOffset(b)) > Math.abs(effectiveOffset(a)) ? b : a));
  const offset = effectiveOffset(worst);
  const all = readings.map((r) => `${r.host}: ${describeOffset(effectiveOffset(r))}`).join('; ');
  const ntp = 'Synchronise the clock with NTP (Windows: w32tm /resync; Linux: timedatectl set-ntp true) and check the time zone setting.';
  if (Math.abs(offset) > CLOCK_FAIL_MS) return fail('clock', title, `this machine's clock is ${describeOffset(offset)} (${all}); S3 rejects requests more than 15 min off.`, ntp);
  if (Math.abs(offset) > CLOCK_WARN_MS) return warn('clock', title, `this machine's clock is ${describeOffset(offset)} (${all}).`, ntp);
  return pass('clock', title, all);
}
