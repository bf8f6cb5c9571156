// Envelope records for the SQL checks, built with the agent's own builders so that a field the
// agent renames or drops shows up here (schema validation and SQL path checks fail).
// The set is shaped to exercise the MERGE rules: two customers, several locations, the same
// observation polled twice (later copy wins), an older observation arriving late, and status
// records from two cycles of one agent (the latest wins).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Location } from '../../agent/config/types.ts';
import {
  buildAgentStatus,
  buildObservation,
  compactUtc,
  type EnvelopeRecord,
} from '../../agent/envelope/records.ts';
import { loadEnvelopeSchema } from './envelope-paths.ts';

const AGENT = { version: '0.1.0', host: 'site-a-srv01' };
const HELSINKI: Location = { id: 'hel', name: 'Helsinki depot', latitude: 60.17, longitude: 24.94 };
const TAMPERE: Location = { id: 'tre', name: 'Tampere', latitude: 61.5, longitude: 23.76 };
const OULU: Location = { id: 'oulu', name: 'Oulu', latitude: 65.01, longitude: 25.47 };

function openMeteoPayload(location: Location, time: string, temperature: number): Record<string, unknown> {
  return {
    latitude: location.latitude,
    longitude: location.longitude,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 9,
    current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', wind_speed_10m: 'km/h', is_day: '' },
    current: { time, interval: 900, temperature_2m: temperature, wind_speed_10m: 14.2, is_day: 1 },
  };
}

function observation(customerId: string, location: Location, observedAt: string, collectedAt: string, temperature: number) {
  return buildObservation({
    customerId,
    location,
    observedAt: new Date(observedAt),
    collectedAt: new Date(collectedAt),
    agent: AGENT,
    payload: openMeteoPayload(location, observedAt.slice(0, 16), temperature),
  });
}

export interface FixtureExpectations {
  customers: number;
  locations: number;
  weatherRows: number;
  agentStatusRows: number;
}

/** The records plus the row counts the curated tables must end up with. */
export function buildFixtureRecords(): { records: EnvelopeRecord[]; expected: FixtureExpectations } {
  const records: EnvelopeRecord[] = [
    observation('acme', HELSINKI, '2026-11-21T10:00:00.000Z', '2026-11-21T10:05:01.000Z', -1.3),
    observation('acme', TAMPERE, '2026-11-21T10:00:00.000Z', '2026-11-21T10:05:01.000Z', -4.0),
    observation('acme', HELSINKI, '2026-11-21T10:15:00.000Z', '2026-11-21T10:20:01.000Z', -1.1),
    // Same observation polled again by a later cycle: same record_id, one row, later copy kept.
    observation('acme', HELSINKI, '2026-11-21T10:15:00.000Z', '2026-11-21T10:25:02.000Z', -1.1),
    // An older observation arriving late (from the dump backlog): a row of its own, no attribute change.
    observation('acme', HELSINKI, '2026-11-21T09:45:00.000Z', '2026-11-21T10:30:00.000Z', -1.5),
    observation('beta', OULU, '2026-11-21T10:00:00.000Z', '2026-11-21T10:04:00.000Z', -9.2),
    buildAgentStatus({
      customerId: 'acme',
      cycleStartedAt: new Date('2026-11-21T10:20:00.000Z'),
      collectedAt: new Date('2026-11-21T10:20:01.500Z'),
      agent: AGENT,
      locations: [{ id: 'hel', outcome: 'ok' }, { id: 'tre', outcome: 'failed', error_class: 'timeout' }],
      dumpBacklog: { files: 1, bytes: 2048, oldest_at: '2026-11-21T09:50:00.000Z' },
      lastErrorClass: 'timeout',
    }),
    buildAgentStatus({
      customerId: 'acme',
      cycleStartedAt: new Date('2026-11-21T10:25:00.000Z'),
      collectedAt: new Date('2026-11-21T10:25:02.000Z'),
      agent: AGENT,
      locations: [{ id: 'hel', outcome: 'ok' }, { id: 'tre', outcome: 'ok' }],
      dumpBacklog: { files: 0, bytes: 0, oldest_at: null },
      lastErrorClass: null,
    }),
  ];
  return { records, expected: { customers: 2, locations: 3, weatherRows: 5, agentStatusRows: 1 } };
}

/** An object key as the agent names it: <prefix>customer=<id>/date=<day>/<id>_<stamp>_<16 hex>.ndjson */
export function agentObjectKey(prefix: string, customerId: string, at: Date, hex16: string, gzip = false): string {
  const day = at.toISOString().slice(0, 10);
  return `${prefix}customer=${customerId}/date=${day}/${customerId}_${compactUtc(at)}_${hex16}.ndjson${gzip ? '.gz' : ''}`;
}

/** A validator for agent/envelope/envelope.schema.json (draft 2020-12, with formats). */
export function createEnvelopeValidator(): (record: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const addFormats = addFormatsModule as unknown as (instance: Ajv2020) => void;
  addFormats(ajv);
  const validate = ajv.compile(loadEnvelopeSchema());
  return (record) => (validate(record) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}
