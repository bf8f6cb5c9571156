// What a config.ini that does not validate still says about where the agent keeps its state, for
// `status` (support needs it most when the config is broken). Read with the loader's own scanner
// (ini-lines.ts) and defaults, so a value means here what it means to `run`: a quoted Windows
// path stays literal and a `#` inside a value is kept, which the `ini` package would change.
// Best effort by design: unreadable or malformed parts fall back to the defaults.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { scanIni, type IniSection } from './ini-lines.ts';
import { DEFAULTS } from './normalise.ts';

export interface LenientConfig {
  /** Absolute path of config.ini. */
  file: string;
  /** [storage] dir, resolved against the config file's folder as the loader does. */
  storageDir: string;
  /** [customer] id (or the old tool's [Customer-info] customer_id), when written. */
  customerId?: string;
  /** The keys of [locations], in file order. */
  locationIds: string[];
}

export async function readConfigLeniently(file: string): Promise<LenientConfig> {
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch(() => '');
  const { sections } = scanIni(text);
  const section = (name: string): IniSection | undefined =>
    sections.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  const value = (sectionName: string, key: string): string | undefined => {
    const entry = section(sectionName)?.entries.find((candidate) => candidate.key.toLowerCase() === key);
    return entry && entry.value !== '' ? entry.value : undefined;
  };
  const customerId = value('customer', 'id') ?? value('Customer-info', 'customer_id');
  return {
    file: path,
    storageDir: resolve(dirname(path), value('storage', 'dir') ?? DEFAULTS.storage.dir),
    ...(customerId === undefined ? {} : { customerId }),
    locationIds: (section('locations')?.entries ?? []).map((entry) => entry.key),
  };
}
