// The record format every source produces, version 1. The shape is defined once, in
// envelope.schema.json beside this file; sql/ reads the same fields and test/ validates what this
// module writes against that schema, so a field renamed on one side fails CI.
//
// Record ids are deterministic: the same observation of the same location, polled twice, gets the
// same id, so the warehouse can merge on it and a re-delivered record changes nothing.
import { createHash } from 'node:crypto';
import type { Location } from '../config/types.ts';

export const SCHEMA_VERSION = 1;

export interface AgentIdentity {
  version: string;
  host: string;
}

export interface ObservationRecord {
  schema_version: typeof SCHEMA_VERSION;
  record_type: 'observation';
  record_id: string;
  customer_id: string;
  source: 'open-meteo';
  collected_at: string;
  agent: AgentIdentity;
  location: { id: string; name: string; latitude: number; longitude: number };
  observed_at: string;
  payload: Record<string, unknown>;
}

export type LocationOutcome = { id: string; outcome: 'ok' } | { id: string; outcome: 'failed'; error_class: string };

export interface DumpBacklog {
  files: number;
  bytes: number;
  oldest_at: string | null;
}

export interface AgentStatusRecord {
  schema_version: typeof SCHEMA_VERSION;
  record_type: 'agent_status';
  record_id: string;
  customer_id: string;
  source: 'agent';
  collected_at: string;
  agent: AgentIdentity;
  cycle: {
    id: string;
    started_at: string;
    outcome: 'ok' | 'partial' | 'failed';
    locations: LocationOutcome[];
    dump_backlog: DumpBacklog;
    last_error_class: string | null;
  };
}

export type EnvelopeRecord = ObservationRecord | AgentStatusRecord;

function hashId(parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

/** `2026-11-21T10:15:03.123Z` -> `20261121T101503123Z`: sortable, and safe in file names (no ':'). */
export function compactUtc(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

export function buildObservation(input: {
  customerId: string;
  location: Location;
  observedAt: Date;
  collectedAt: Date;
  agent: AgentIdentity;
  payload: Record<string, unknown>;
}): ObservationRecord {
  const observedAt = input.observedAt.toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    record_type: 'observation',
    record_id: hashId([SCHEMA_VERSION, input.customerId, input.location.id, 'open-meteo', observedAt]),
    customer_id: input.customerId,
    source: 'open-meteo',
    collected_at: input.collectedAt.toISOString(),
    agent: input.agent,
    location: {
      id: input.location.id,
      name: input.location.name,
      latitude: input.location.latitude,
      longitude: input.location.longitude,
    },
    observed_at: observedAt,
    payload: input.payload,
  };
}

export function buildAgentStatus(input: {
  customerId: string;
  cycleStartedAt: Date;
  collectedAt: Date;
  agent: AgentIdentity;
  locations: LocationOutcome[];
  dumpBacklog: DumpBacklog;
  lastErrorClass: string | null;
}): AgentStatusRecord {
  const cycleId = compactUtc(input.cycleStartedAt);
  const okCount = input.locations.filter((l) => l.outcome === 'ok').length;
  const outcome = okCount === input.locations.length ? 'ok' : okCount === 0 ? 'failed' : 'partial';
  return {
    schema_version: SCHEMA_VERSION,
    record_type: 'agent_status',
    record_id: hashId([SCHEMA_VERSION, input.customerId, input.agent.host, cycleId]),
    customer_id: input.customerId,
    source: 'agent',
    collected_at: input.collectedAt.toISOString(),
    agent: input.agent,
    cycle: {
      id: cycleId,
      started_at: input.cycleStartedAt.toISOString(),
      outcome,
      locations: input.locations,
      dump_backlog: input.dumpBacklog,
      last_error_class: input.lastErrorClass,
    },
  };
}

/** One NDJSON file body: one record per line, newline-terminated. */
export function toNdjson(records: EnvelopeRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + '\n';
}
