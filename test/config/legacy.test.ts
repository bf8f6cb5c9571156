import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveLocationIds } from '../../agent/config/legacy.ts';
import { validateConfigFile } from '../../agent/config/load.ts';
import { editedConfig, useTempDirs } from '../fixtures/config/temp-config.ts';

const makeDir = useTempDirs();

/** The base config with [customer] and [locations] (lines 1-4) replaced by `legacy`. */
function legacyConfig(legacy: string): string {
  return legacy + '\n' + editedConfig({ 1: '', 2: '', 3: '', 4: '' });
}

async function validate(text: string) {
  const dir = await makeDir({ 'config.ini': text });
  return validateConfigFile(join(dir, 'config.ini'));
}

const LEGACY = [
  '[Customer-info]',
  'customer_id = acme-001',
  '[Location-info]',
  'latitudes = 60.1695, 62.2415, 60.2',
  'longitudes = 24.9354, 25.7209, 24.95',
  'names = Helsinki, Jyväskylä, Helsinki',
].join('\n');

describe('legacy config of the Python tool', () => {
  it('reads customer and locations, deriving unique ids from the names', async () => {
    const { config } = await validate(legacyConfig(LEGACY));
    expect(config?.customer).toEqual({ id: 'acme-001' });
    expect(config?.locations).toEqual([
      { id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 },
      { id: 'jyvaskyla', name: 'Jyväskylä', latitude: 62.2415, longitude: 25.7209 },
      { id: 'helsinki-2', name: 'Helsinki', latitude: 60.2, longitude: 24.95 },
    ]);
  });

  it('warns once, showing the new sections ready to paste', async () => {
    const { problems } = await validate(legacyConfig(LEGACY));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', where: 'Customer-info', line: 1 });
    expect(problems[0]?.message).toContain("old tool's format; it still works");
    expect(problems[0]?.message).toContain(
      '[customer]\nid = acme-001\n\n[locations]\nhelsinki = 60.1695, 24.9354, Helsinki\njyvaskyla = 62.2415, 25.7209, Jyväskylä\nhelsinki-2 = 60.2, 24.95, Helsinki',
    );
  });

  it('the pasted sections give the same config', async () => {
    const { problems, config } = await validate(legacyConfig(LEGACY));
    const pasted = problems[0]?.message.split('with:\n\n')[1] ?? '';
    const again = await validate(legacyConfig(pasted));
    expect(again.problems).toEqual([]);
    expect(again.config?.locations).toEqual(config?.locations);
    expect(again.config?.customer).toEqual(config?.customer);
  });

  it('accepts any case in section and key names, as Python configparser did', async () => {
    const { config } = await validate(legacyConfig('[customer-info]\nCustomer_ID = acme-001\n[LOCATION-INFO]\nLatitudes = 1\nlongitudes = 2\nNAMES = Oulu'));
    expect(config?.locations).toEqual([{ id: 'oulu', name: 'Oulu', latitude: 1, longitude: 2 }]);
  });

  it.each([
    { name: 'lists of different lengths', legacy: '[Customer-info]\ncustomer_id = a\n[Location-info]\nlatitudes = 1, 2\nlongitudes = 3\nnames = x, y', where: 'Location-info', line: 3, fragment: '2 latitudes, 1 longitudes, 2 names' },
    { name: 'missing names', legacy: '[Customer-info]\ncustomer_id = a\n[Location-info]\nlatitudes = 1\nlongitudes = 3', where: 'Location-info.names', line: 3, fragment: 'is missing' },
    { name: 'bad latitude item', legacy: '[Customer-info]\ncustomer_id = a\n[Location-info]\nlatitudes = 1, 91\nlongitudes = 3, 4\nnames = x, y', where: 'Location-info.latitudes', line: 4, fragment: 'item 2: latitude 91 is out of range' },
    { name: 'missing customer id', legacy: '[Customer-info]\n[Location-info]\nlatitudes = 1\nlongitudes = 3\nnames = x', where: 'Customer-info.customer_id', line: 1, fragment: 'is missing' },
    { name: 'bad customer id', legacy: '[Customer-info]\ncustomer_id = ACME Oy\n[Location-info]\nlatitudes = 1\nlongitudes = 3\nnames = x', where: 'Customer-info.customer_id', line: 2, fragment: "'ACME Oy' is not a valid id" },
    { name: 'unknown legacy key', legacy: '[Customer-info]\ncustomer_id = a\n[Location-info]\nlatitude = 1\nlongitudes = 3\nnames = x', where: 'Location-info.latitude', line: 4, fragment: "did you mean 'latitudes'?" },
  ])('$name is an error', async ({ legacy, where, line, fragment }) => {
    const { config, problems } = await validate(legacyConfig(legacy));
    expect(config).toBeUndefined();
    const match = problems.find((problem) => problem.where === where && problem.message.includes(fragment));
    expect(match, JSON.stringify(problems, null, 1)).toMatchObject({ severity: 'error', line });
  });
});

describe('deriveLocationIds', () => {
  it.each([
    { names: ['Helsinki'], ids: ['helsinki'] },
    { names: ['Jyväskylä', 'São Paulo', 'Zürich HB'], ids: ['jyvaskyla', 'sao-paulo', 'zurich-hb'] },
    { names: ['Tromsø', 'Straße 5', 'Łódź', 'Æra'], ids: ['tromso', 'strasse-5', 'lodz', 'aera'] },
    { names: ['  --Site #1 (north)-- '], ids: ['site-1-north'] },
    { names: ['東京', ''], ids: ['location', 'location-2'] },
    { names: ['Oulu', 'oulu', 'OULU'], ids: ['oulu', 'oulu-2', 'oulu-3'] },
    { names: ['x'.repeat(80)], ids: ['x'.repeat(64)] },
  ])('$names -> $ids', ({ names, ids }) => {
    expect(deriveLocationIds(names)).toEqual(ids);
  });
});
