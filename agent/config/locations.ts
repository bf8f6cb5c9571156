// The [locations] section: one `<id> = <latitude>, <longitude>[, <display name>]` line per place.
// Ids become part of every record, so they are checked like customer ids and must be unique
// (ignoring case, so two ids cannot collide in case-insensitive tools downstream).
import type { Location } from './types.ts';
import { ID_PATTERN, ID_RULE } from './fields.ts';
import type { IniSection } from './ini-lines.ts';
import { slugify } from './legacy.ts';
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
  if (!ID_PATTERN.test(id)) return invalidIdMessage(id, value);
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length < 2 || parts[0] === '' || parts[1] === '') return `'${value}' is not a location; ${LOCATION_FORMAT}`;
  const decimalComma = decimalCommaMessage(id, value, parts);
  if (decimalComma) return decimalComma;
  const latitude = parseCoordinate(parts[0] ?? '', 'latitude', 90);
  if (typeof latitude === 'string') return latitude;
  const longitude = parseCoordinate(parts[1] ?? '', 'longitude', 180);
  if (typeof longitude === 'string') return longitude;
  const name = parts.slice(2).join(', ').trim();
  return { id, name: name === '' ? id : name, latitude, longitude };
}

/** Ids with letters such as 'ä' are refused; the folded id (as the legacy converter makes it)
 *  is offered as the line to paste. */
function invalidIdMessage(id: string, value: string): string {
  const folded = slugify(id);
  const paste = folded !== id && ID_PATTERN.test(folded) ? `; use '${folded}' instead: ${folded} = ${value}` : '';
  return `'${id}' is not a valid location id; use ${ID_RULE}${paste}`;
}

const INTEGER = /^[+-]?\d+$/;

/**
 * Coordinates written with a decimal comma (`60,17, 24,94, Helsinki`) split into more parts than
 * the format has, and would silently read as latitude 60, longitude 17 and a name of "24, 94,
 * Helsinki": a site in the wrong country. Three whole numbers in a row before any name can only
 * be that (a display name is never a bare number), so it is refused; with four, the intended line
 * is clear and offered to paste.
 */
function decimalCommaMessage(id: string, value: string, parts: string[]): string | undefined {
  const [a, b, c, d] = parts;
  if (!(a && b && c && INTEGER.test(a) && INTEGER.test(b) && INTEGER.test(c))) return undefined;
  const hint = "coordinates need '.' as the decimal point and ',' only between latitude, longitude and name";
  if (d === undefined || !INTEGER.test(d)) {
    return `'${value}' looks like coordinates with a decimal comma, which cannot be read unambiguously; ${hint}, e.g. ${id} = 60.17, 24.94, Helsinki`;
  }
  const name = parts.slice(4).join(', ');
  const paste = `${id} = ${a}.${b}, ${c}.${d}${name === '' ? '' : `, ${name}`}`;
  return `'${value}' looks like coordinates with a decimal comma (it would read as latitude ${a}, longitude ${b}); ${hint}. If you meant ${a}.${b}, ${c}.${d}, use: ${paste}`;
}

export function parseCoordinate(text: string, what: 'latitude' | 'longitude', limit: number): number | string {
  const range = `a decimal number from -${limit} to ${limit}, with '.' as the decimal point`;
  if (!DECIMAL.test(text)) return `${what} '${text}' is not a number; expected ${range}`;
  const value = Number(text);
  if (Math.abs(value) > limit) return `${what} ${text} is out of range; expected ${range}`;
  return value;
}
