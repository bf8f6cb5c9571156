// How the Open-Meteo stand-in reads a forecast query, with the real server's 400 reasons
// (open-meteo/open-meteo Sources/App/Helper/ForecastapiQuery.swift for coordinates and counts).
import { REASONS } from './open-meteo-stub-rules.ts';
import { VARIABLES } from './open-meteo-stub-data.ts';

export const STUB_MAX_LOCATIONS = 1000;

export class StubFailure extends Error {
  readonly status: number;
  constructor(status: number, reason: string) {
    super(reason);
    this.status = status;
  }
}

export interface Zone {
  name: string;
  abbreviation: string;
  offsetSeconds: number;
}

export interface ParsedQuery {
  latitudes: number[];
  longitudes: number[];
  variables: string[];
  zones: Zone[];
  unixtime: boolean;
  models: number;
}

function parseCoordinates(text: string | undefined, key: 'latitude' | 'longitude'): number[] {
  if (!text) throw new StubFailure(400, `Parameter '${key}' is required`);
  const limit = key === 'latitude' ? 90 : 180;
  return text.split(',').map((item) => {
    const value = Number(item);
    if (item.trim() === '' || !Number.isFinite(value)) {
      throw new StubFailure(400, `Cannot initialize Float from invalid String value ${item} for key ${key}`);
    }
    if (Math.abs(value) > limit) {
      const name = key === 'latitude' ? 'Latitude' : 'Longitude';
      throw new StubFailure(400, `${name} must be in range of -${limit} to ${limit}°. Given: ${value}.`);
    }
    return value;
  });
}

/** timezone=auto picks each location's own zone; the stand-in uses whole hours by longitude. */
function autoZone(longitude: number): Zone {
  const hours = Math.max(-12, Math.min(14, Math.round(longitude / 15)));
  if (hours === 0) return { name: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  const name = `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
  return { name, abbreviation: `GMT${hours > 0 ? '+' : '-'}${Math.abs(hours)}`, offsetSeconds: hours * 3600 };
}

function resolveZone(name: string, at: Date): Zone {
  if (name === 'GMT' || name === 'UTC') return { name: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  try {
    const part = (style: 'longOffset' | 'short') =>
      new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: style })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part('longOffset'));
    const sign = match?.[1] === '-' ? -1 : 1;
    const offsetSeconds = match ? sign * (Number(match[2]) * 3600 + Number(match[3]) * 60) : 0;
    return { name, abbreviation: part('short'), offsetSeconds };
  } catch {
    throw new StubFailure(400, 'Invalid timezone');
  }
}

export function parseQuery(params: Record<string, string>, at: Date, requireApiKey: string | undefined): ParsedQuery {
  if (requireApiKey !== undefined && params.apikey === undefined) throw new StubFailure(401, REASONS.keyRequired);
  if (requireApiKey !== undefined && params.apikey !== requireApiKey) throw new StubFailure(400, REASONS.keyInvalid);
  const latitudes = parseCoordinates(params.latitude, 'latitude');
  const longitudes = parseCoordinates(params.longitude, 'longitude');
  if (latitudes.length !== longitudes.length) {
    throw new StubFailure(400, "Parameter 'latitude' and 'longitude' must have the same number of elements");
  }
  if (latitudes.length > STUB_MAX_LOCATIONS) {
    throw new StubFailure(400, `Parameter 'latitude' and 'longitude' must not exceed ${STUB_MAX_LOCATIONS} coordinates.`);
  }
  const variables = (params.current ?? '').split(',').filter((name) => name !== '');
  for (const name of variables) {
    if (!(name in VARIABLES)) {
      // The wording of current servers (Vapor's decoder; older ones said "... for key current").
      throw new StubFailure(400, `Data corrupted at path ''. Cannot initialize SurfacePressureAndHeightVariable from invalid String value ${name}.`);
    }
  }
  const zoneNames = (params.timezone ?? 'GMT').split(',');
  if (zoneNames.length !== 1 && zoneNames.length !== latitudes.length) {
    throw new StubFailure(400, "Parameter 'timezone' must have one element or as many as 'latitude'");
  }
  const zones = latitudes.map((_, i) => {
    const name = zoneNames[zoneNames.length === 1 ? 0 : i] ?? 'GMT';
    return name === 'auto' ? autoZone(longitudes[i] ?? 0) : resolveZone(name, at);
  });
  const models = (params.models ?? '').split(',').filter((name) => name !== '').length;
  return { latitudes, longitudes, variables, zones, unixtime: params.timeformat === 'unixtime', models };
}
