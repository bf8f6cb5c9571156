// S3 objects as the agent writes them, built with the agent's own code: records from
// agent/envelope/records.ts, cycle file names from agent/spool/file-names.ts, keys from
// agent/sinks/s3/object-key.ts, backlog packs (plain and .ndjson.gz) from agent/spool/pack.ts. Bad records are built records mutated.
import type { Location } from '../../../agent/config/types.ts';
import { buildAgentStatus, buildObservation, toNdjson, type AgentIdentity, type EnvelopeRecord, type LocationOutcome } from '../../../agent/envelope/records.ts';
import { keysUnder, objectKeyFor } from '../../../agent/sinks/s3/object-key.ts';
import { cycleFileName, parseSpoolFileName } from '../../../agent/spool/file-names.ts';
import { encodePackBody, identifyPack } from '../../../agent/spool/pack.ts';
import { SAMPLE_VARIABLES } from '../sql-scripts.ts';

export const PREFIX = SAMPLE_VARIABLES.prefix as string;
export const AGENT: AgentIdentity = { version: '0.1.0', host: 'site-a-srv01' };
export const HEL: Location = { id: 'hel', name: 'Helsinki depot', latitude: 60.17, longitude: 24.94 };
export const TRE: Location = { id: 'tre', name: 'Tampere', latitude: 61.5, longitude: 23.76 };
export const OULU: Location = { id: 'oulu', name: 'Oulu', latitude: 65.01, longitude: 25.47 };

export interface S3Object {
  key: string;
  body: Buffer;
}

export interface CycleFile extends S3Object {
  customerId: string;
  date: string;
  createdAt: Date;
  /** Uncompressed NDJSON. */
  ndjson: Buffer;
}

export function observation(
  customerId: string,
  location: Location,
  observedAt: string,
  collectedAt: string,
  temperature: number,
  agent: AgentIdentity = AGENT,
): EnvelopeRecord {
  return buildObservation({
    customerId,
    location,
    observedAt: new Date(observedAt),
    collectedAt: new Date(collectedAt),
    agent,
    payload: {
      latitude: location.latitude,
      longitude: location.longitude,
      generationtime_ms: 0.05,
      utc_offset_seconds: 0,
      timezone: 'GMT',
      current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', wind_speed_10m: 'km/h' },
      current: { time: observedAt.slice(0, 16), interval: 900, temperature_2m: temperature, wind_speed_10m: 14.2 },
    },
  });
}

export function agentStatus(
  customerId: string,
  cycleStartedAt: string,
  locations: LocationOutcome[],
  backlogFiles = 0,
  agent: AgentIdentity = AGENT,
): EnvelopeRecord {
  const started = new Date(cycleStartedAt);
  return buildAgentStatus({
    customerId,
    cycleStartedAt: started,
    collectedAt: new Date(started.getTime() + 1500),
    agent,
    locations,
    dumpBacklog: { files: backlogFiles, bytes: backlogFiles * 2048, oldest_at: backlogFiles > 0 ? '2026-11-21T09:00:00.000Z' : null },
    lastErrorClass: locations.some((l) => l.outcome === 'failed') ? 'timeout' : null,
  });
}

/** One cycle file: `<prefix>customer=<id>/date=<day>/<id>_<start>_<sha256/16>.ndjson`. */
export function cycleFile(customerId: string, cycleStartedAt: string, records: EnvelopeRecord[] | string[]): CycleFile {
  const text = records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
  const ndjson = Buffer.from(records.every((r) => typeof r !== 'string') ? toNdjson(records as EnvelopeRecord[]) : text);
  const parsed = parseSpoolFileName(cycleFileName(customerId, new Date(cycleStartedAt), ndjson));
  if (!parsed) throw new Error(`fixture: the agent's file name for ${customerId} does not parse`);
  return { key: objectKeyFor(PREFIX, parsed), body: ndjson, ndjson, customerId, date: parsed.date, createdAt: parsed.createdAt };
}

/** A backlog pack of cycle files, as the drain sends it (their NDJSON concatenated in order). */
export function packOf(files: CycleFile[], gzip: boolean): S3Object {
  const first = files[0];
  if (!first) throw new Error('fixture: a pack needs at least one file');
  const ndjson = Buffer.concat(files.map((f) => f.ndjson));
  const identity = identifyPack(keysUnder(PREFIX), { customerId: first.customerId, date: first.date, createdAt: first.createdAt }, ndjson, gzip);
  return { key: identity.key, body: encodePackBody(ndjson, gzip) };
}

/** A built record with fields changed or removed (null removes), for bad-record fixtures. */
export function mutated(record: EnvelopeRecord, changes: Record<string, unknown>): string {
  const copy = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.split('.');
    let node = copy;
    for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
    const last = parts[parts.length - 1] as string;
    if (value === null) delete node[last];
    else node[last] = value;
  }
  return JSON.stringify(copy);
}
