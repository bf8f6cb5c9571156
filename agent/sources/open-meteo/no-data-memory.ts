// Locations Open-Meteo has no data for (400 "No data is available for this location", which fails
// the whole request it is in). Once found, such a location is left out of requests and reported
// failed with that reason, and asked for again, alone, once a day: the answer depends on the
// server's weather models, which change rarely. Changing the location's coordinates in the config
// retries it at once.
//
// Kept in state/open-meteo-no-data.json, so a restart or a `once` run does not search again.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Location } from '../../config/types.ts';

export const NO_DATA_FILE = 'open-meteo-no-data.json';
export const NO_DATA_RETRY_MS = 24 * 60 * 60 * 1000;

export interface NoDataEntry {
  latitude: number;
  longitude: number;
  reason: string;
  since: string;
  retryAt: string;
}

export interface NoDataMemory {
  /** Locations to leave out of this cycle's requests (known, not yet due), with their entry. */
  known(locations: Location[]): Promise<Map<string, NoDataEntry>>;
  /** Remembered locations whose retry time has come: asked for in batches of their own. */
  due(locations: Location[]): Promise<Location[]>;
  remember(location: Location, reason: string): Promise<NoDataEntry>;
  forget(locations: Location[]): Promise<void>;
}

/** The remembered locations, for `status`. */
export async function readNoDataFile(stateDir: string): Promise<Record<string, NoDataEntry>> {
  return readEntries(join(stateDir, NO_DATA_FILE));
}

async function readEntries(file: string | undefined): Promise<Record<string, NoDataEntry>> {
  if (!file) return {};
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, NoDataEntry>) : {};
  } catch {
    return {}; // missing or damaged: at worst a search costs a few requests again
  }
}

export function createNoDataMemory(stateDir: string | undefined, now: () => Date): NoDataMemory {
  const file = stateDir === undefined ? undefined : join(stateDir, NO_DATA_FILE);
  let entries: Record<string, NoDataEntry> | undefined;
  const load = async () => (entries ??= await readEntries(file));
  const save = async () => {
    if (!file || !stateDir) return;
    await mkdir(stateDir, { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(entries ?? {}, null, 1));
    await rename(`${file}.tmp`, file);
  };
  return {
    async known(locations) {
      const all = await load();
      const known = new Map<string, NoDataEntry>();
      for (const location of locations) {
        const entry = all[location.id];
        const same = entry && entry.latitude === location.latitude && entry.longitude === location.longitude;
        if (same && Date.parse(entry.retryAt) > now().getTime()) known.set(location.id, entry);
      }
      return known;
    },
    async due(locations) {
      const all = await load();
      return locations.filter((location) => {
        const entry = all[location.id];
        return entry && entry.latitude === location.latitude && entry.longitude === location.longitude && Date.parse(entry.retryAt) <= now().getTime();
      });
    },
    async remember(location, reason) {
      const all = await load();
      const at = now();
      const entry: NoDataEntry = {
        latitude: location.latitude,
        longitude: location.longitude,
        reason,
        since: all[location.id]?.since ?? at.toISOString(),
        retryAt: new Date(at.getTime() + NO_DATA_RETRY_MS).toISOString(),
      };
      all[location.id] = entry;
      await save();
      return entry;
    },
    async forget(locations) {
      const all = await load();
      const gone = locations.filter((location) => location.id in all);
      if (gone.length === 0) return;
      for (const location of gone) delete all[location.id];
      await save();
    },
  };
}
