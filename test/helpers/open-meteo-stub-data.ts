// Deterministic weather values for the Open-Meteo stand-in: the variables it knows (with the real
// API's units) and a value for each that depends only on place, 15-minute slot and name.
import { createHash } from 'node:crypto';

export interface VariableSpec {
  unit: string;
  min: number;
  max: number;
  decimals: number;
}

export const VARIABLES: Record<string, VariableSpec> = {
  temperature_2m: { unit: '°C', min: -25, max: 35, decimals: 1 },
  apparent_temperature: { unit: '°C', min: -30, max: 38, decimals: 1 },
  dew_point_2m: { unit: '°C', min: -30, max: 25, decimals: 1 },
  relative_humidity_2m: { unit: '%', min: 5, max: 100, decimals: 0 },
  is_day: { unit: '', min: 0, max: 1, decimals: 0 },
  precipitation: { unit: 'mm', min: 0, max: 4, decimals: 1 },
  rain: { unit: 'mm', min: 0, max: 4, decimals: 1 },
  showers: { unit: 'mm', min: 0, max: 2, decimals: 1 },
  snowfall: { unit: 'cm', min: 0, max: 2, decimals: 2 },
  weather_code: { unit: 'wmo code', min: 0, max: 99, decimals: 0 },
  cloud_cover: { unit: '%', min: 0, max: 100, decimals: 0 },
  pressure_msl: { unit: 'hPa', min: 960, max: 1045, decimals: 1 },
  surface_pressure: { unit: 'hPa', min: 900, max: 1040, decimals: 1 },
  wind_speed_10m: { unit: 'km/h', min: 0, max: 60, decimals: 1 },
  wind_direction_10m: { unit: '°', min: 0, max: 359, decimals: 0 },
  wind_gusts_10m: { unit: 'km/h', min: 0, max: 90, decimals: 1 },
  visibility: { unit: 'm', min: 100, max: 50000, decimals: 0 },
  uv_index: { unit: '', min: 0, max: 9, decimals: 2 },
};

/** A number in [0, 1) that depends only on the parts, so the same question gets the same answer. */
export function deterministicFraction(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

const WMO_CODES = [0, 1, 2, 3, 45, 48, 51, 53, 55, 61, 63, 65, 71, 73, 75, 80, 81, 82, 95];

export function generateValue(name: string, spec: VariableSpec, lat: number, lon: number, slot: number): number {
  const fraction = deterministicFraction(lat, lon, slot, name);
  if (name === 'weather_code') return WMO_CODES[Math.floor(fraction * WMO_CODES.length)] ?? 0;
  if (name === 'is_day') {
    const solarHour = (((slot / 3_600_000 + lon / 15) % 24) + 24) % 24;
    return solarHour >= 6 && solarHour < 18 ? 1 : 0;
  }
  return round(spec.min + fraction * (spec.max - spec.min), spec.decimals);
}

