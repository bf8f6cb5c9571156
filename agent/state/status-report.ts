// The `status` report for support staff: stored facts (status.json) plus live ones (dump size,
// whether an agent process holds the lock). No secrets: the state holds none, and the report
// shows paths, ids, counts, times and error codes only.
import type { AgentConfig } from '../config/types.ts';
import { createSpool } from '../spool/spool.ts';
import { AGENT_VERSION } from '../version.ts';
import { findLockOwner, type LockOwner } from './instance-lock.ts';
import { createStatusStore, type AgentState } from './status-store.ts';

export interface StatusReport {
  agentVersion: string;
  config: string;
  customer: string;
  generatedAt: string;
  process: { running: boolean; pid?: number; command?: string; since?: string };
  lastCycle: AgentState['lastCycle'] | null;
  locations: { id: string; name: string; lastSuccessAt: string | null; lastFailureAt: string | null; lastError: string | null }[];
  lastUpload: AgentState['lastUpload'] | null;
  lastDrain: AgentState['lastDrain'] | null;
  dump: { files: number; bytes: number; oldestAt: string | null; unrecognised: string[]; filesWithFailures: number };
  /** `resolved` when a later success of the same component shows the error is over. */
  lastError: (NonNullable<AgentState['lastError']> & { resolved?: { at: string; by: string } }) | null;
}

/** What the report needs from the config; a broken config yields only these (see status.ts). */
export type StatusInput = Pick<AgentConfig, 'file'> & { storage: Pick<AgentConfig['storage'], 'dir'>; customer: Pick<AgentConfig['customer'], 'id'>; locations: Pick<AgentConfig['locations'][number], 'id' | 'name'>[] };

export async function buildStatusReport(config: StatusInput): Promise<StatusReport> {
  const state = await createStatusStore(config.storage.dir, AGENT_VERSION).read();
  const usage = await createSpool(config.storage.dir).dumpUsage();
  const owner: LockOwner | undefined = await findLockOwner(config.storage.dir);
  return {
    agentVersion: AGENT_VERSION,
    config: config.file,
    customer: config.customer.id,
    generatedAt: new Date().toISOString(),
    process: owner ? { running: true, pid: owner.pid, command: owner.command, since: owner.startedAt } : { running: false },
    lastCycle: state.lastCycle ?? null,
    locations: config.locations.map((location) => {
      const known = state.locations[location.id];
      return {
        id: location.id,
        name: location.name,
        lastSuccessAt: known?.lastSuccessAt ?? null,
        lastFailureAt: known?.lastFailureAt ?? null,
        lastError: known?.lastError ?? null,
      };
    }),
    lastUpload: state.lastUpload ?? null,
    lastDrain: state.lastDrain ?? null,
    dump: {
      files: usage.files,
      bytes: usage.bytes,
      oldestAt: usage.oldest?.toISOString() ?? null,
      unrecognised: usage.unrecognised,
      filesWithFailures: Object.keys(state.dumpFailures).length,
    },
    lastError: state.lastError ? { ...state.lastError, ...resolutionOf(state) } : null,
  };
}

/**
 * Whether the last error is over: a success of the same component after it. Stored state is not
 * rewritten (the record stays for support); the report says when and by what it was resolved.
 */
function resolutionOf(state: AgentState): { resolved: { at: string; by: string } } | Record<string, never> {
  const error = state.lastError;
  if (!error) return {};
  const after = (iso: string | undefined): iso is string => iso !== undefined && iso > error.at;
  const cycle = state.lastCycle;
  if (error.component === 's3') {
    if (after(state.lastUpload?.at)) return { resolved: { at: state.lastUpload.at, by: `the upload of ${state.lastUpload.key}` } };
    const drain = state.lastDrain;
    if (drain && after(drain.at) && drain.uploaded > 0 && drain.failed === 0) return { resolved: { at: drain.at, by: `a retry pass that uploaded ${drain.uploaded} file(s)` } };
  }
  if (error.component === 'open-meteo' && cycle && after(cycle.finishedAt) && cycle.outcome === 'ok') {
    return { resolved: { at: cycle.finishedAt, by: `a cycle with all ${cycle.locationsOk} location(s) ok` } };
  }
  if (error.component === 'collect' && cycle && after(cycle.finishedAt) && cycle.outcome !== 'skipped') {
    return { resolved: { at: cycle.finishedAt, by: 'a cycle that ran again' } };
  }
  return {};
}

function age(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'never';
  const minutes = Math.round((now.getTime() - new Date(iso).getTime()) / 60_000);
  const text = minutes < 90 ? `${minutes} min ago` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
  return `${iso} (${text})`;
}

export function formatStatusReport(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const lines = [
    `datapipe-agent ${report.agentVersion}  customer ${report.customer}  config ${report.config}`,
    `Process:      ${report.process.running ? `running, pid ${report.process.pid} (${report.process.command}) since ${report.process.since}` : 'not running'}`,
  ];
  const cycle = report.lastCycle;
  lines.push(cycle
    ? `Last cycle:   ${age(cycle.finishedAt, now)}: ${cycle.outcome}, ${cycle.locationsOk} ok / ${cycle.locationsFailed} failed, ${cycle.delivery}${cycle.file ? ` (${cycle.file})` : ''}${cycle.reason ? `: ${cycle.reason}` : ''}`
    : 'Last cycle:   none yet');
  lines.push(`Last upload:  ${report.lastUpload ? `${age(report.lastUpload.at, now)}: ${report.lastUpload.key}` : 'never'}`);
  const drain = report.lastDrain;
  lines.push(`Last retry:   ${drain ? `${age(drain.at, now)}: ${drain.uploaded} uploaded, ${drain.failed} failed, ${drain.remaining} remaining${drain.stoppedBy ? `, stopped by ${drain.stoppedBy}` : ''}` : 'never'}`);
  const dump = report.dump;
  lines.push(`Dump:         ${dump.files} file(s), ${(dump.bytes / 1024).toFixed(1)} KiB, oldest ${age(dump.oldestAt, now)}` +
    (dump.unrecognised.length ? `; ${dump.unrecognised.length} unrecognised file(s) left alone: ${dump.unrecognised.slice(0, 5).join(', ')}` : ''));
  const error = report.lastError;
  if (error?.resolved) {
    lines.push(`Last error:   resolved ${age(error.resolved.at, now)} by ${error.resolved.by}; it was ${age(error.at, now)}: ${error.component} ${error.errorClass}: ${error.message}`);
  } else {
    lines.push(`Last error:   ${error ? `${age(error.at, now)}: ${error.component} ${error.errorClass}: ${error.message}${error.hint ? `\n              Fix: ${error.hint}` : ''}` : 'none'}`);
  }
  lines.push('Locations:');
  for (const location of report.locations) {
    lines.push(`  ${location.id.padEnd(20)} last success ${age(location.lastSuccessAt, now)}; last failure ${location.lastFailureAt ? `${age(location.lastFailureAt, now)} (${location.lastError})` : 'never'}`);
  }
  return lines.join('\n') + '\n';
}
