// Shared steps for the scenarios: a deployed warehouse at a fixed clock, delivering agent files
// and reading the curated tables in a stable order.
import { expect } from 'vitest';
import type { S3Object } from './fixture-files.ts';
import { Warehouse } from './warehouse.ts';

export const DB = 'DATAPIPE_CHECK';

export async function deployedWarehouse(clock = '2026-11-21T10:05:00Z'): Promise<Warehouse> {
  const warehouse = await Warehouse.open();
  await warehouse.deploy();
  await warehouse.setClock(clock);
  return warehouse;
}

/** Delivers objects and expects each to load fully. */
export async function deliverAll(warehouse: Warehouse, ...objects: S3Object[]): Promise<void> {
  for (const object of objects) {
    const [delivery] = await warehouse.deliver(object.key, object.body);
    expect(delivery?.status, object.key).toBe('Loaded');
  }
}

export async function rawCount(warehouse: Warehouse): Promise<number> {
  return Number((await warehouse.rows(`SELECT count(*) AS n FROM ${DB}.RAW.RECORDS`))[0]?.n);
}

const ORDER: Record<string, string> = {
  CUSTOMERS: 'customer_id',
  LOCATIONS: 'customer_id, location_id',
  WEATHER_OBSERVATIONS: 'customer_id, location_id, observed_at',
  AGENT_STATUS: 'customer_id, agent_host',
};

/** Selected columns of a curated table (timestamps as ISO strings), in key order. */
export async function curated(warehouse: Warehouse, table: keyof typeof ORDER | string, columns: string): Promise<Record<string, unknown>[]> {
  const iso = columns
    .split(',')
    .map((c) => c.trim())
    .map((c) => (/_at$/.test(c) ? `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${c}` : c))
    .join(', ');
  return warehouse.rows(`SELECT ${iso} FROM ${DB}.CURATED.${table} ORDER BY ${ORDER[table] ?? '1'}`);
}

export async function monitoring(warehouse: Warehouse, view: string, columns = '*', where = ''): Promise<Record<string, unknown>[]> {
  return warehouse.query(`SELECT ${columns} FROM ${DB}.MONITORING.${view} ${where} ORDER BY ALL`);
}
