// The campaign's figures, printed as a plain block that docs/reliability.md quotes as is.
import type { AgentSupervisor } from './agent-process.ts';
import type { CampaignLog } from './faults.ts';
import type { Verdict } from './invariants.ts';

export interface Figures {
  command: string;
  seed: number;
  minutes: number;
  durationSeconds: number;
  cycles: number;
  sourceRequests: number;
  s3Puts: number;
  log: CampaignLog;
  agent: AgentSupervisor;
  verdict: Verdict;
  notes: string[];
}

export function formatFigures(f: Figures): string {
  const v = f.verdict;
  const faults = [...f.log.injected.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind}=${n}`).join(' ');
  const kills = f.agent.kills.length;
  const lines = [
    `command:        ${f.command}`,
    `seed:           ${f.seed}`,
    `duration:       ${f.durationSeconds.toFixed(0)} s (${f.minutes} min of faults, then a final drain and the checks)`,
    `cycles:         ${f.cycles} finished (Open-Meteo requests: ${f.sourceRequests}; S3 PutObject requests: ${f.s3Puts}, ${f.log.packPuts} of them packs)`,
    `faults:         ${faults || '(none)'}`,
    `kills (-9):     ${kills} (aimed kills whose trigger never came: ${f.log.missedKills}); starts: ${f.agent.starts}; graceful restarts: ${f.agent.gracefulRestarts} (${f.agent.termDuringStartup} SIGTERM(s) arrived while it was still loading)`,
    `unexpected exits: ${f.agent.unexpectedExits.length}${f.agent.unexpectedExits.map((e) => ` [code ${e.code} signal ${e.signal}]`).join('')}`,
    `kills by aim:   ${killsByAim(f.log) || '(none)'}`,
    `disk full:      ${f.log.diskFull.length} period(s) of the data disk; ${f.log.logDiskFull.length} of the log disk`,
    `source lies:    ${f.log.poisoned.length} poisoned answer(s)${poisonCounts(f.log)}; ${v.futureDated} future-dated observation(s) in S3`,
    `planted files:  ${v.planted.files} in ${f.log.plantings.length} set(s); ${v.planted.uploaded.length} uploaded; ${v.planted.leftInDump.length} left in dump/; link followed: ${v.planted.markerInS3 ? 'yes' : 'no'}`,
    `agent memory:   peak ${f.agent.peakRssMb.toFixed(0)} MB resident; ${f.agent.memoryKills} watchdog kill(s); ${f.agent.stopHangs} SIGTERM hang(s)`,
    `longest pause:  ${longestPauseSeconds(f.log.sourceRequests).toFixed(0)} s between two Open-Meteo requests (restarts, back-off, hangs and stalls included)`,
    `records:        ${v.servedUnique} observations served; ${v.observationsInS3} in S3; ${v.statusRecordsInS3} agent_status records; ${v.objects} objects (${v.packObjects} packs)`,
    `not persisted:  ${v.receivedNotPersisted.killed} received but killed before the cycle file was durable; ${v.receivedNotPersisted.diskFull} received while the disk was full (never acknowledged; not losses)`,
    `skipped stale:  ${v.skippedStale} (older than a value already received, after the stand-in's clock jumped back)`,
    `lost:           ${v.lost.length}`,
    `duplicates:     ${v.duplicates}`,
    `corrupt:        ${v.corrupt.length}`,
    `left on disk:   ${v.leftInSpool.length} in temp/+dump/; ${v.leftInJournal.length} in packs/`,
    `403 -> errors:  ${v.accessDenied.answered} AccessDenied answers (${v.accessDenied.unverifiable} just before a kill) -> ${v.accessDenied.errorLines} error lines`,
    `secret leaks:   ${v.secretLeaks.length}`,
    ...f.notes.map((note) => `note:           ${note}`),
    v.broken.length === 0 ? 'RESULT: all invariants held' : `RESULT: ${v.broken.length} invariant(s) broken:\n${v.broken.map((b) => `  - ${b}`).join('\n')}`,
  ];
  return lines.join('\n');
}

/** The kills, by the moment they were aimed at (the kill-* faults played). */
function killsByAim(log: CampaignLog): string {
  return [...log.injected.entries()].filter(([kind]) => kind.startsWith('kill-')).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind.slice(5)}=${n}`).join(' ');
}

function poisonCounts(log: CampaignLog): string {
  const counts = new Map<string, number>();
  for (const { poison } of log.poisoned) counts.set(poison, (counts.get(poison) ?? 0) + 1);
  return counts.size === 0 ? '' : ` (${[...counts].map(([poison, n]) => `${poison}=${n}`).join(' ')})`;
}

function longestPauseSeconds(times: number[]): number {
  let longest = 0;
  for (let i = 1; i < times.length; i += 1) longest = Math.max(longest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return longest / 1000;
}
