// The original Python tool's config, so existing sites keep working after the upgrade:
//   [Customer-info]  customer_id = X
//   [Location-info]  latitudes = 60.1, 62.2   longitudes = 24.9, 25.7   names = Helsinki, Jyväskylä
// Location ids are derived from the names. Reading it yields a warning that shows the equivalent
// [customer] and [locations] sections, ready to paste, so nobody retypes coordinates by hand.
import type { Location } from './types.ts';
import { ID_PATTERN, ID_RULE } from './fields.ts';
import type { IniSection } from './ini-lines.ts';
import { parseCoordinate } from './locations.ts';
import type { ProblemList } from './problems.ts';
import { reportDuplicateKeys } from './sections.ts';
import { describeAlternatives } from './suggest.ts';

export interface LegacySections {
  customer?: IniSection;
  locations?: IniSection;
}

export interface LegacyResult {
  customerId?: string;
  locations: Location[];
}

const CUSTOMER_KEYS = ['customer_id'];
const LOCATION_KEYS = ['latitudes', 'longitudes', 'names'];

export function readLegacy(sections: LegacySections, problems: ProblemList): LegacyResult {
  const customer = readKeys(sections.customer, 'Customer-info', CUSTOMER_KEYS, problems);
  const lists = readKeys(sections.locations, 'Location-info', LOCATION_KEYS, problems);
  const customerId = readCustomerId(customer.get('customer_id'), sections.customer, problems);
  const locations = readLocationLists(lists, sections.locations, problems);
  const header = sections.customer ?? sections.locations;
  if (customerId !== undefined && locations.length > 0 && header) {
    problems.warning(header.name, `this is the old tool's format; it still works, but please replace [Customer-info] and [Location-info] with:\n\n${formatNewSections(customerId, locations)}`, header.line);
  }
  return customerId === undefined ? { locations } : { customerId, locations };
}

type Found = Map<string, { value: string; line: number }>;

/** Python's configparser ignores key case, so these keys do too. */
function readKeys(section: IniSection | undefined, name: string, known: string[], problems: ProblemList): Found {
  const found: Found = new Map();
  if (!section) return found;
  reportDuplicateKeys(section, problems);
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    if (known.includes(key)) found.set(key, { value: entry.value, line: entry.line });
    else problems.error(`${name}.${entry.key}`, `unknown key; ${describeAlternatives(entry.key, known, `keys in [${name}]`)}`, entry.line);
  }
  return found;
}

function readCustomerId(found: { value: string; line: number } | undefined, section: IniSection | undefined, problems: ProblemList): string | undefined {
  if (!found || found.value === '') {
    problems.error('Customer-info.customer_id', 'is missing; it is required (your customer id)', section?.line);
    return undefined;
  }
  if (!ID_PATTERN.test(found.value)) {
    problems.error('Customer-info.customer_id', `'${found.value}' is not a valid id; use ${ID_RULE}`, found.line);
    return undefined;
  }
  return found.value;
}

function readLocationLists(lists: Found, section: IniSection | undefined, problems: ProblemList): Location[] {
  const columns = LOCATION_KEYS.map((key) => {
    const found = lists.get(key);
    if (!found || found.value === '') problems.error(`Location-info.${key}`, 'is missing; it is required (a comma-separated list, one item per location)', section?.line);
    return found && found.value !== '' ? { key, line: found.line, items: found.value.split(',').map((item) => item.trim()) } : undefined;
  });
  const [latitudes, longitudes, names] = columns;
  if (!latitudes || !longitudes || !names) return [];
  if (latitudes.items.length !== longitudes.items.length || latitudes.items.length !== names.items.length) {
    const counts = `${latitudes.items.length} latitudes, ${longitudes.items.length} longitudes, ${names.items.length} names`;
    problems.error('Location-info', `the lists have different lengths (${counts}); each location needs one latitude, one longitude and one name`, section?.line);
    return [];
  }
  const ids = deriveLocationIds(names.items);
  const locations: Location[] = [];
  latitudes.items.forEach((latitudeText, index) => {
    const latitude = parseCoordinate(latitudeText, 'latitude', 90);
    const longitude = parseCoordinate(longitudes.items[index] ?? '', 'longitude', 180);
    const item = `item ${index + 1}: `;
    if (typeof latitude === 'string') problems.error('Location-info.latitudes', item + latitude, latitudes.line);
    if (typeof longitude === 'string') problems.error('Location-info.longitudes', item + longitude, longitudes.line);
    if (typeof latitude === 'number' && typeof longitude === 'number') {
      const id = ids[index] ?? `location-${index + 1}`;
      locations.push({ id, name: names.items[index] || id, latitude, longitude });
    }
  });
  return locations;
}

/** Special letters that Unicode does not decompose into a base letter plus an accent. */
const FOLDS: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ł: 'l', þ: 'th', ð: 'd', ı: 'i' };

/** Ids from display names: lower-case, accents folded, other characters '-', unique by suffix. */
export function deriveLocationIds(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = slugify(name);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base.slice(0, 60)}-${n}`;
    used.add(id);
    return id;
  });
}

/** A display name folded to a location id: lower-case ASCII letters, digits, '_' and '-'. */
export function slugify(name: string): string {
  const folded = name
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[øæœßđłþðı]/g, (char) => FOLDS[char] ?? char);
  const slug = folded.replace(/[^a-z0-9_]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');
  return slug === '' ? 'location' : slug;
}

export function formatNewSections(customerId: string, locations: Location[]): string {
  const lines = ['[customer]', `id = ${customerId}`, '', '[locations]'];
  for (const location of locations) lines.push(`${location.id} = ${location.latitude}, ${location.longitude}, ${location.name}`);
  return lines.join('\n');
}
