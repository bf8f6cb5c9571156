// The `status` report for support staff: stored facts (status.json) plus live ones (dump size,
// whether an agent process holds the lock). No secrets: the state holds none, and the report
// shows paths, ids, counts, times and error codes only.
import { join } from 'node:path';
import type { AgentConfig } from '../config/types.ts';
import { FREE_LIMITS, readBudgetFile, useOf, type BudgetUse } from '../sources/open-meteo/budget.ts';
import { readNoDataFile, type NoDataEntry } from '../sources/open-meteo/no-data-memory.ts';
import { describeCertificate, type CertificateStatus } from '../sinks/s3/roles-anywhere/certificate-status.ts';
import { createSpool } from '../spool/spool.ts';
import { escapeControl } from '../log/control-chars.ts';
import { AGENT_VERSION } from '../version.ts';
import { findLockOwner, type LockOwner } from './instance-lock.ts';
import { createStatusStore, type AgentState, type CycleSummary, type DrainSummary } from './status-store.ts';

export interface StatusReport {
  agentVersion: string;
  config: string;
  customer: string;
  generatedAt: string;
  process: { running: boolean; pid?: number; command?: string; since?: string };
  lastCycle: CycleSummary | null;
  locations: { id: string; name: string; lastSuccessAt: string | null; lastFailureAt: string | null; lastError: string | null }[];
  lastUpload: AgentState['lastUpload'] | null;
  lastDrain: DrainSummary | null;
  dump: { files: number; bytes: number; oldestAt: string | null; unrecognised: string[]; filesWithFailures: number };
  /** What the agent set aside instead of sending (agent/spool/quarantine.ts); never deleted. */
  quarantine: { folder: string; entries: { name: string; code: string | null; at: string | null; message: string | null }[] };
  /** `resolved` when a later success of the same component shows the error is over. */
  lastError: (NonNullable<AgentState['lastError']> & { resolved?: { at: string; by: string } }) | null;
  /** The free Open-Meteo API's calls used now, by the agent's ledger; null when not counted;
   *  absent when the config could not be read (so the budget is not known). */
  openMeteoBudget?: BudgetUse | null;
  /** Locations Open-Meteo has no data for, left out until their retry time. */
  openMeteoNoData: Record<string, NoDataEntry>;
  /** IAM Roles Anywhere sites only: the site certificate and its expiry. */
  certificate?: CertificateStatus;
}

/** What status needs of the config; a broken config gives only the part the state folder needs. */
export type StatusInput = Pick<AgentConfig, 'file'> & Partial<Pick<AgentConfig, 'openMeteo' | 'rolesAnywhere'>> & {
  storage: Pick<AgentConfig['storage'], 'dir'>;
  customer: Pick<AgentConfig['customer'], 'id'>;
  locations: Pick<AgentConfig['locations'][number], 'id' | 'name'>[];
};

export async function buildStatusReport(config: StatusInput): Promise<StatusReport> {
  // Another process's file (the agent's own copy is in its memory): read as it is on disk now.
  const state = await createStatusStore(config.storage.dir, AGENT_VERSION).read();
  const spool = createSpool(config.storage.dir);
  const usage = await spool.dumpUsage();
  const quarantined = await spool.quarantine.list();
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
    quarantine: {
      folder: spool.quarantine.dir,
      entries: quarantined.map((entry) => ({ name: entry.name, code: entry.reason?.code ?? null, at: entry.reason?.at ?? null, message: entry.reason?.message ?? null })),
    },
    lastError: state.lastError ? { ...state.lastError, ...resolutionOf(state) } : null,
    ...(config.openMeteo ? { openMeteoBudget: config.openMeteo.callBudget === 'free' ? useOf(await readBudgetFile(join(config.storage.dir, 'state'), new Date()), FREE_LIMITS) : null } : {}),
    openMeteoNoData: await readNoDataFile(join(config.storage.dir, 'state')),
    ...(config.rolesAnywhere ? { certificate: await describeCertificate(config.rolesAnywhere, config.file, new Date()) } : {}),
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

/** Text from status.json, which holds server-supplied messages: shown with control characters escaped. */
function v(text: string | number | null | undefined): string {
  return escapeControl(String(text ?? ''));
}

export function formatStatusReport(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const lines = [
    `datapipe-agent ${v(report.agentVersion)}  customer ${v(report.customer)}  config ${v(report.config)}`,
    `Process:      ${report.process.running ? `running, pid ${report.process.pid} (${v(report.process.command)}) since ${v(report.process.since)}` : 'not running'}`,
  ];
  const cycle = report.lastCycle;
  lines.push(cycle
    ? `Last cycle:   ${age(cycle.finishedAt, now)}: ${v(cycle.outcome)}, ${cycle.locationsOk} ok / ${cycle.locationsFailed} failed, ${v(cycle.delivery)}${cycle.file ? ` (${v(cycle.file)})` : ''}${cycle.reason ? `: ${v(cycle.reason)}` : ''}`
    : 'Last cycle:   none yet');
  lines.push(`Last upload:  ${report.lastUpload ? `${age(report.lastUpload.at, now)}: ${v(report.lastUpload.key)}` : 'never'}`);
  const drain = report.lastDrain;
  lines.push(`Last retry:   ${drain ? `${age(drain.at, now)}: ${drain.uploaded} uploaded, ${drain.failed} failed, ${drain.remaining} remaining${drain.stoppedBy ? `, stopped by ${v(drain.stoppedBy)}` : ''}` : 'never'}`);
  const dump = report.dump;
  lines.push(`Dump:         ${dump.files} file(s), ${(dump.bytes / 1024).toFixed(1)} KiB, oldest ${age(dump.oldestAt, now)}` +
    (dump.unrecognised.length ? `; ${dump.unrecognised.length} unrecognised file(s) left alone: ${dump.unrecognised.slice(0, 5).map(v).join(', ')}` : ''));
  const quarantine = report.quarantine.entries;
  if (quarantine.length > 0) {
    // An error-level fact: these files are not delivered until a person acts.
    lines.push(`Quarantine:   ${quarantine.length} entr${quarantine.length === 1 ? 'y' : 'ies'} NOT sent, in ${report.quarantine.folder} (see \`requeue\`):`);
    for (const entry of quarantine.slice(0, 10)) lines.push(`  ${v(entry.name)}: ${v(entry.code ?? 'no reason file')}${entry.at ? ` since ${entry.at}` : ''}`);
    if (quarantine.length > 10) lines.push(`  ... and ${quarantine.length - 10} more`);
  }
  const error = report.lastError;
  if (error?.resolved) {
    lines.push(`Last error:   resolved ${age(error.resolved.at, now)} by ${v(error.resolved.by)}; it was ${age(error.at, now)}: ${v(error.component)} ${v(error.errorClass)}: ${v(error.message)}`);
  } else {
    lines.push(`Last error:   ${error ? `${age(error.at, now)}: ${v(error.component)} ${v(error.errorClass)}: ${v(error.message)}${error.hint ? `\n              Fix: ${v(error.hint)}` : ''}` : 'none'}`);
  }
  const budget = report.openMeteoBudget;
  if (budget !== undefined) lines.push(`Open-Meteo:   ${budget ? `free API calls used: ${budget.minute} of ${budget.limits.minute} in the last minute, ${budget.hour} of ${budget.limits.hour} this hour, ${budget.day} of ${budget.limits.day} today (UTC)` : 'no per-address call budget (call_budget = none)'}`);
  for (const [id, entry] of Object.entries(report.openMeteoNoData)) {
    lines.push(`              no data for location ${v(id)} since ${entry.since}; asked again after ${entry.retryAt}`);
  }
  const certificate = report.certificate;
  if (certificate) {
    const label = { ok: 'ok', warn: 'WARN', fail: 'FAIL' }[certificate.level];
    lines.push(`Certificate:  ${label}: ${v(certificate.detail)}${certificate.fix ? `\n              Fix: ${v(certificate.fix)}` : ''}`);
  }
  lines.push('Locations:');
  for (const location of report.locations) {
    lines.push(`  ${v(location.id).padEnd(20)} last success ${age(location.lastSuccessAt, now)}; last failure ${location.lastFailureAt ? `${age(location.lastFailureAt, now)} (${v(location.lastError)})` : 'never'}`);
  }
  return lines.join('\n') + '\n';
}
