// The [locations] section: one `<id> = <latitude>, <longitude>[, <display name>]` line per place.
// Ids become part of every record, so they are checked like customer ids and must be unique
// (ignoring case, so two ids cannot collide in case-insensitive tools downstream).
import type { Location } from './types.ts';
import { ID_PATTERN, ID_RULE } from './fields.ts';
import type { IniSection } from './ini-lines.ts';
import type { ProblemList } from './problems.ts';
import { reportInlineSecret } from './sections.ts';

const LOCATION_FORMAT = "expected '<latitude>, <longitude>[, <display name>]', e.g. 60.1695, 24.9354, Helsinki";
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

export function parseLocations(section: IniSection | undefined, problems: ProblemList): Location[] {
  if (!section || section.entries.length === 0) {
    problems.error('locations', `no locations; add at least one line under [locations]: ${LOCATION_FORMAT}`, section?.line);
    return [];
  }
  const locations: Location[] = [];
  const firstLine = new Map<string, number>();
  for (const entry of section.entries) {
    const where = `locations.${entry.key}`;
    const earlier = firstLine.get(entry.key.toLowerCase());
    if (earlier !== undefined) {
      problems.error(where, `location id '${entry.key}' is already used on line ${earlier} (ids are compared ignoring case); give each location its own id`, entry.line);
      continue;
    }
    firstLine.set(entry.key.toLowerCase(), entry.line);
    if (reportInlineSecret('locations', entry, problems)) continue;
    const location = parseLocationValue(entry.key, entry.value);
    if (typeof location === 'string') problems.error(where, location, entry.line);
    else locations.push(location);
  }
  return locations;
}

/** A Location, or a message saying what is wrong with this line. */
export function parseLocationValue(id: string, value: string): Location | string {
  if (!ID_PATTERN.test(id)) return `'${id}' is not a valid location id; use ${ID_RULE}`;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length < 2 || parts[0] === '' || parts[1] === '') return `'${value}' is not a location; ${LOCATION_FORMAT}`;
  const latitude = parseCoordinate(parts[0] ?? '', 'latitude', 90);
  if (typeof latitude === 'string') return latitude;
  const longitude = parseCoordinate(parts[1] ?? '', 'longitude', 180);
  if (typeof longitude === 'string') return longitude;
  const name = parts.slice(2).join(', ').trim();
  return { id, name: name === '' ? id : name, latitude, longitude };
}

export function parseCoordinate(text: string, what: 'latitude' | 'longitude', limit: number): number | string {
  const range = `a decimal number from -${limit} to ${limit}, with '.' as the decimal point`;
  if (!DECIMAL.test(text)) return `${what} '${text}' is not a number; expected ${range}`;
  const value = Number(text);
  if (Math.abs(value) > limit) return `${what} ${text} is out of range; expected ${range}`;
  return value;
}
