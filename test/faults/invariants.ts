// The campaign's verdict, from outside the agent: what the bucket holds, what the stand-in
// served, what is left on disk, and what the logs say.
//
// "Served" is precise: an observation counts only when the stand-in sent a complete 200 body
// holding it (5xx, 429, hangs, truncated bodies and reset connections serve nothing). A served
// observation missing from S3 is then one of:
//   - received but not persisted: the agent was killed -9, or the storage disk was full, after the
//     stand-in answered and before the agent's next request to it (cycles never overlap, so a
//     next request means the cycle file was written). The agent never acknowledged it; the
//     delivery guarantee does not cover it; counted and reported, not a loss;
//   - skipped as stale: older than an observation of the same location the agent had already
//     received (the stand-in's clock jumped back); the agent writes only newer values, by design;
//   - lost: anything else. One lost record fails the campaign.
// Observations the poisoning proxy spoiled were never served. An observation in S3 dated in the
// future (the proxy's 2099) or from a planted file, a planted file uploaded, left in dump/, or its
// link target changed, each fail the campaign too.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildObservation } from '../../agent/envelope/records.ts';
import { envelopeProblems } from '../helpers/envelope-validator.ts';
import type { CampaignLog } from './faults.ts';
import { CUSTOMER_ID, LOCATIONS, type Site } from './site.ts';

export interface Verdict {
  objects: number;
  packObjects: number;
  observationsInS3: number;
  statusRecordsInS3: number;
  servedUnique: number;
  receivedNotPersisted: { killed: number; diskFull: number };
  skippedStale: number;
  lost: string[];
  duplicates: number;
  corrupt: string[];
  leftInSpool: string[];
  leftInJournal: string[];
  accessDenied: { answered: number; unverifiable: number; errorLines: number };
  secretLeaks: string[];
  unexpectedObservations: number;
  /** Observations in S3 dated more than a day after the campaign (a poisoned time trusted). */
  futureDated: number;
  planted: { files: number; uploaded: string[]; leftInDump: string[]; markerInS3: boolean; targetChanged: boolean; quarantinedReal: string[] };
  /** Each broken invariant as one readable sentence; empty when all hold. */
  broken: string[];
}

interface StoredRecord {
  key: string;
  record: Record<string, unknown>;
}

const CYCLE_OR_PACK = /_(?:pack-)?([0-9a-f]{16})\.ndjson(\.gz)?$/;

export async function checkInvariants(input: {
  objects: { key: string; body: Buffer }[];
  log: CampaignLog;
  kills: number[];
  site: Site;
  secret: string;
}): Promise<Verdict> {
  const { records, corrupt } = readObjects(input.objects);
  const byId = indexRecords(records);
  const duplicates = [...byId.values()].reduce((sum, keys) => sum + keys.length - 1, 0);
  const observationIds = new Set(records.filter((r) => r.record.record_type === 'observation').map((r) => String(r.record.record_id)));
  const accounting = accountServed(input.log, input.kills, observationIds);
  const plantedNames = new Set(input.log.plantings.flatMap((p) => p.files.map((f) => f.name)));
  const dump = await listFolder(join(input.site.storageDir, 'dump'));
  const leftInSpool = [...(await listFolder(join(input.site.storageDir, 'temp'))).map((n) => `temp/${n}`), ...dump.filter((n) => !plantedNames.has(n)).map((n) => `dump/${n}`)];
  const leftInJournal = await listTree(join(input.site.storageDir, 'packs'));
  const logs = await readLogs(input.site);
  const accessDenied = countAccessDenied(input.log.accessDenied, input.kills, input.log.logDiskFull, logs.agentLog);
  const secretLeaks = Object.entries(logs.all).filter(([, text]) => text.includes(input.secret)).map(([name]) => name);

  const verdict: Verdict = {
    objects: input.objects.length,
    packObjects: input.objects.filter((o) => o.key.includes('_pack-')).length,
    observationsInS3: observationIds.size,
    statusRecordsInS3: records.filter((r) => r.record.record_type === 'agent_status').length,
    servedUnique: accounting.servedUnique,
    receivedNotPersisted: accounting.receivedNotPersisted,
    skippedStale: accounting.skippedStale,
    lost: accounting.lost,
    duplicates,
    corrupt,
    leftInSpool,
    leftInJournal,
    accessDenied,
    secretLeaks,
    unexpectedObservations: [...observationIds].filter((id) => !accounting.servedIds.has(id)).length,
    futureDated: records.filter((r) => r.record.record_type === 'observation' && Date.parse(String(r.record.observed_at)) > Date.now() + 86_400_000).length,
    planted: await checkPlanted(input.log, input.objects, records, dump, await listFolder(join(input.site.storageDir, 'quarantine'))),
    broken: [],
  };
  verdict.broken = listBroken(verdict);
  return verdict;
}

function listBroken(v: Verdict): string[] {
  const broken: string[] = [];
  if (v.lost.length > 0) broken.push(`${v.lost.length} served observation(s) never reached S3 (lost), e.g. ${v.lost.slice(0, 3).join(', ')}`);
  if (v.duplicates > 0) broken.push(`${v.duplicates} record(s) stored under more than one key (duplicates the warehouse must remove)`);
  if (v.corrupt.length > 0) broken.push(`${v.corrupt.length} corrupt or partial object problem(s), e.g. ${v.corrupt.slice(0, 3).join('; ')}`);
  if (v.leftInSpool.length > 0) broken.push(`temp/ or dump/ not empty after the final drain: ${v.leftInSpool.slice(0, 5).join(', ')}`);
  const { answered, unverifiable, errorLines } = v.accessDenied;
  if (errorLines > answered || errorLines < answered - unverifiable) {
    broken.push(`${errorLines} AccessDenied error line(s) in the logs for ${answered} injected 403 answer(s) (${unverifiable} of them just before a kill -9): expected one line each`);
  }
  if (v.secretLeaks.length > 0) broken.push(`the secret access key appears in: ${v.secretLeaks.join(', ')}`);
  if (v.futureDated > 0) broken.push(`${v.futureDated} observation(s) in S3 dated in the future: a poisoned source time was trusted`);
  const p = v.planted;
  if (p.uploaded.length > 0) broken.push(`planted special file(s) uploaded: ${p.uploaded.join(', ')}`);
  if (p.markerInS3) broken.push('the content of a file outside the spool reached S3 through a symbolic link in dump/');
  if (p.leftInDump.length > 0) broken.push(`planted special file(s) still in dump/ after the final drain (not set aside): ${p.leftInDump.join(', ')}`);
  if (p.targetChanged) broken.push('the target of a symbolic link planted in dump/ was changed or removed');
  if (p.quarantinedReal.length > 0) broken.push(`file(s) the agent wrote itself were quarantined (not sent): ${p.quarantinedReal.slice(0, 5).join(', ')}`);
  return broken;
}

async function checkPlanted(log: CampaignLog, objects: { key: string; body: Buffer }[], records: StoredRecord[], dump: string[], quarantine: string[]): Promise<Verdict['planted']> {
  const files = log.plantings.flatMap((planting) => planting.files.map((file) => ({ ...file, planting })));
  const uploaded = files.filter((file) => objects.some((o) => o.key.endsWith(`/${file.name}`))).map((f) => `${f.kind} ${f.name}`);
  const markers = log.plantings.map((planting) => planting.marker);
  const markerInS3 = objects.some((o) => markers.some((marker) => o.body.includes(marker)));
  // The planted truncated file holds a record of 2001: any record of that year came from it.
  const plantedRecordInS3 = records.some((r) => String(r.record.observed_at).startsWith('2001-'));
  const leftInDump = files.filter((file) => dump.includes(file.name)).map((f) => `${f.kind} ${f.name}`);
  const plantedNames = new Set(files.map((file) => file.name));
  // A real cycle file set aside is data withheld from S3 (it also shows as lost): name it.
  const quarantinedReal = quarantine.filter((name) => !name.endsWith('.reason.json') && !plantedNames.has(name));
  let targetChanged = false;
  for (const planting of log.plantings) {
    const text = await readFile(planting.outsideFile, 'utf8').catch(() => '');
    if (!text.includes(planting.marker)) targetChanged = true;
  }
  if (plantedRecordInS3) uploaded.push('a record of the planted truncated file');
  return { files: files.length, uploaded, leftInDump, markerInS3, targetChanged, quarantinedReal };
}

function readObjects(objects: { key: string; body: Buffer }[]): { records: StoredRecord[]; corrupt: string[] } {
  const records: StoredRecord[] = [];
  const corrupt: string[] = [];
  for (const object of objects) {
    let text: string;
    let ndjson: Buffer;
    try {
      ndjson = object.body[0] === 0x1f && object.body[1] === 0x8b ? gunzipSync(object.body) : object.body;
      text = ndjson.toString('utf8');
    } catch (error) {
      corrupt.push(`${object.key}: does not decompress (${(error as Error).message})`);
      continue;
    }
    const hash = CYCLE_OR_PACK.exec(object.key)?.[1];
    if (hash && createHash('sha256').update(ndjson).digest('hex').slice(0, 16) !== hash) corrupt.push(`${object.key}: content does not match the hash in its name`);
    if (!text.endsWith('\n')) corrupt.push(`${object.key}: last line is not terminated (partial object?)`);
    text.split('\n').filter((line) => line !== '').forEach((line, index) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        return void corrupt.push(`${object.key} line ${index + 1}: not JSON`);
      }
      const problems = envelopeProblems(record);
      if (problems.length > 0) corrupt.push(`${object.key} line ${index + 1}: ${problems.join(', ')}`);
      records.push({ key: object.key, record: record as Record<string, unknown> });
    });
  }
  return { records, corrupt };
}

/** record id -> every key holding it (a key listed twice: the record twice in one object). */
function indexRecords(records: StoredRecord[]): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const { key, record } of records) {
    const id = String(record.record_id);
    byId.set(id, [...(byId.get(id) ?? []), key]);
  }
  return byId;
}

function recordIdOf(latitude: number, longitude: number, time: string | number): { id: string; locationId: string; observedMs: number } | undefined {
  const location = LOCATIONS.find((l) => l.latitude === latitude && l.longitude === longitude);
  if (!location) return undefined;
  // The site asks in GMT, so `time` is UTC without its suffix.
  const observedAt = typeof time === 'number' ? new Date(time * 1000) : new Date(`${time}:00Z`);
  const record = buildObservation({ customerId: CUSTOMER_ID, location, observedAt, collectedAt: observedAt, agent: { version: '', host: '' }, payload: {} });
  return { id: record.record_id, locationId: location.id, observedMs: observedAt.getTime() };
}

function accountServed(log: CampaignLog, kills: number[], inS3: Set<string>) {
  const servedIds = new Set<string>();
  const newestSeen = new Map<string, number>();
  const missing = new Map<string, { at: number; stale: boolean }>();
  for (const answer of log.served) {
    for (const observation of answer.observations) {
      const served = recordIdOf(observation.latitude, observation.longitude, observation.time);
      if (!served) continue;
      const stale = served.observedMs < (newestSeen.get(served.locationId) ?? -Infinity);
      newestSeen.set(served.locationId, Math.max(served.observedMs, newestSeen.get(served.locationId) ?? -Infinity));
      if (servedIds.has(served.id)) continue;
      servedIds.add(served.id);
      if (!inS3.has(served.id)) missing.set(served.id, { at: answer.at, stale });
    }
  }
  const receivedNotPersisted = { killed: 0, diskFull: 0 };
  let skippedStale = 0;
  const lost: string[] = [];
  for (const [id, { at, stale }] of missing) {
    const next = log.sourceRequests.find((t) => t > at) ?? Infinity;
    if (kills.some((k) => k >= at && k <= next)) receivedNotPersisted.killed += 1;
    else if (log.diskFull.some(([from, to]) => from <= next && to >= at)) receivedNotPersisted.diskFull += 1;
    else if (stale) skippedStale += 1;
    else lost.push(`${id.slice(0, 12)}… served ${new Date(at).toISOString()}`);
  }
  return { servedIds, servedUnique: servedIds.size, receivedNotPersisted, skippedStale, lost };
}

function countAccessDenied(answers: number[], kills: number[], logDiskFull: [number, number][], agentLog: string) {
  const errorLines = agentLog.split('\n').filter((line) => / error +[\w-]+: /.test(line) && /error=AccessDenied/.test(line)).length;
  // Its line may rightly be missing when a kill came right after, or the log disk was full.
  const unverifiable = answers.filter((at) => kills.some((k) => k >= at && k - at < 3000) || logDiskFull.some(([from, to]) => at >= from - 1000 && at <= to + 1000)).length;
  return { answered: answers.length, unverifiable, errorLines };
}

async function readLogs(site: Site): Promise<{ agentLog: string; all: Record<string, string> }> {
  const all: Record<string, string> = {};
  for (const name of await listFolder(site.logDir)) all[`logs/${name}`] = await readFile(join(site.logDir, name), 'utf8');
  const agentLog = Object.keys(all).sort().map((name) => all[name]).join('');
  for (const extra of ['agent-output.txt', 'storage/state/status.json']) {
    all[extra] = await readFile(join(site.dir, extra), 'utf8').catch(() => '');
  }
  return { agentLog, all };
}

async function listFolder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function listTree(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) found.push(...(await listTree(join(dir, entry.name))).map((n) => `${entry.name}/${n}`));
    else found.push(entry.name);
  }
  return found;
}
