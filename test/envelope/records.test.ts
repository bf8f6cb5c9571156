import { describe, expect, it } from 'vitest';
import { buildAgentStatus, buildObservation, toNdjson } from '../../agent/envelope/records.ts';
import { envelopeProblems } from '../helpers/envelope-validator.ts';

const agent = { version: '0.1.0', host: 'srv01' };
const location = { id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 };
const payload = {
  latitude: 60.16, longitude: 24.94, generationtime_ms: 0.05, utc_offset_seconds: 0, timezone: 'GMT',
  timezone_abbreviation: 'GMT', elevation: 9, current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C' },
  current: { time: '2026-11-21T10:15', interval: 900, temperature_2m: -1.3 },
};

function observation(collectedAt: string) {
  return buildObservation({
    customerId: 'acme-001', location, agent, payload,
    observedAt: new Date('2026-11-21T10:15:00Z'), collectedAt: new Date(collectedAt),
  });
}

describe('envelope records', () => {
  it('builds observations that validate against the schema, payload unchanged', () => {
    const record = observation('2026-11-21T10:16:03.123Z');
    expect(envelopeProblems(record)).toEqual([]);
    expect(record).toMatchObject({ schema_version: 1, record_type: 'observation', customer_id: 'acme-001', source: 'open-meteo', observed_at: '2026-11-21T10:15:00.000Z', collected_at: '2026-11-21T10:16:03.123Z', location });
    expect(record.payload).toBe(payload);
  });

  it('gives the same observation polled twice the same record id, and another observation another id', () => {
    const first = observation('2026-11-21T10:16:00.000Z');
    const again = observation('2026-11-21T10:29:00.000Z');
    expect(again.record_id).toBe(first.record_id);
    expect(first.record_id).toMatch(/^[0-9a-f]{64}$/);
    const otherTime = buildObservation({ customerId: 'acme-001', location, agent, payload, observedAt: new Date('2026-11-21T10:30:00Z'), collectedAt: new Date() });
    const otherCustomer = buildObservation({ customerId: 'acme-002', location, agent, payload, observedAt: new Date('2026-11-21T10:15:00Z'), collectedAt: new Date() });
    expect(new Set([first.record_id, otherTime.record_id, otherCustomer.record_id]).size).toBe(3);
  });

  it('builds agent_status records, including a cycle where every location failed', () => {
    const record = buildAgentStatus({
      customerId: 'acme-001', agent, cycleStartedAt: new Date('2026-11-21T10:15:00.000Z'), collectedAt: new Date('2026-11-21T10:15:02.000Z'),
      locations: [{ id: 'helsinki', outcome: 'failed', error_class: 'unavailable' }, { id: 'jyvaskyla', outcome: 'failed', error_class: 'unavailable' }],
      dumpBacklog: { files: 3, bytes: 4096, oldest_at: '2026-11-21T09:00:00.000Z' }, lastErrorClass: 'unavailable',
    });
    expect(envelopeProblems(record)).toEqual([]);
    expect(record.cycle).toMatchObject({ id: '20261121T101500000Z', outcome: 'failed' });
  });

  it('rejects records that break the contract', () => {
    const record = observation('2026-11-21T10:16:03.123Z');
    expect(envelopeProblems({ ...record, observed_at: '2026-11-21T10:15' })).not.toEqual([]);
    expect(envelopeProblems({ ...record, extra_field: 1 })).not.toEqual([]);
    const { location: _dropped, ...withoutLocation } = record;
    expect(envelopeProblems(withoutLocation)).not.toEqual([]);
  });

  it('writes one record per line, newline-terminated', () => {
    const text = toNdjson([observation('2026-11-21T10:16:03.123Z'), observation('2026-11-21T10:17:03.123Z')]);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n').map((line) => JSON.parse(line).record_type)).toEqual(['observation', 'observation']);
  });
});
