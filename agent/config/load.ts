// Loads config.ini into the AgentConfig every stage receives. Called once at start by `run`, and
// by `validate` / `init` to show a technician every problem at once. Steps:
//   read (UTF-8, BOM, CRLF) -> scan lines (ini-lines.ts) -> shape (sections.ts, legacy.ts,
//   locations.ts, platform-paths.ts) -> normalise (normalise.ts) -> named rules (rules.ts)
// Config problems are never thrown past this module as anything but a ConfigError.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import type { AgentConfig, Location } from './types.ts';
import { errorCode } from './folders.ts';
import { scanIni, type IniSection, type ScannedIni } from './ini-lines.ts';
import { readLegacy } from './legacy.ts';
import { parseLocations } from './locations.ts';
import { checkPlatformPaths } from './platform-paths.ts';
import { normaliseConfig } from './normalise.ts';
import { ProblemList } from './problems.ts';
import { rules } from './rules.ts';
import { KNOWN_SECTIONS, LEGACY_SECTIONS, reportDuplicateKeys, sectionSchemas, shapeSection, type ShapedSections } from './sections.ts';
import { describeAlternatives } from './suggest.ts';

export { checkFolderWritable } from './folders.ts';

/** Never throws for config problems; returns every problem found (errors and warnings), sorted by line. */
export async function validateConfigFile(file: string): Promise<{ config?: AgentConfig; problems: ConfigProblem[] }> {
  const path = resolve(file);
  const problems = new ProblemList(path);
  const text = await readConfigText(path, problems);
  if (text === undefined) return { problems: problems.sorted() };
  const scanned = scanIni(text);
  for (const problem of scanned.problems) problems.error(problem.where, problem.message, problem.line);
  const sections = groupSections(scanned, problems);
  const head = readCustomerAndLocations(sections, problems);
  const shaped = shapeKnownSections(sections, problems);
  checkPlatformPaths(sections, problems);
  const config = normaliseConfig({ file: path, customerId: head.customerId ?? '', locations: head.locations, sections: shaped });
  await applyRules(config, sections, problems);
  return problems.hasErrors() ? { problems: problems.sorted() } : { config, problems: problems.sorted() };
}

/** Throws ConfigError (with all problems) if there is any error; otherwise returns config + warnings. */
export async function loadConfig(file: string): Promise<{ config: AgentConfig; warnings: ConfigProblem[] }> {
  const { config, problems } = await validateConfigFile(file);
  if (!config) throw new ConfigError(problems);
  return { config, warnings: problems };
}

async function readConfigText(path: string, problems: ProblemList): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    problems.error('file', describeReadFailure(errorCode(error)));
    return undefined;
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    problems.error('file', 'the file is saved as UTF-16 ("Unicode"); save it as UTF-8 (Notepad: File > Save as > Encoding: UTF-8)');
    return undefined;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = firstInvalidUtf8Line(bytes);
    problems.error('file', 'this line is not valid UTF-8 (the file was probably saved as ANSI / Windows-1252); save it as UTF-8 (Notepad: File > Save as > Encoding: UTF-8)', line);
    return undefined;
  }
}

function describeReadFailure(code: string): string {
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'config file not found; check the path, or copy config.example.ini to it and edit it';
  if (code === 'EISDIR') return 'this is a folder, not a file; give the path of config.ini';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the config file (permission denied); give the account the agent runs as read access';
  return `cannot read the config file (${code}); check the path and the file's permissions`;
}

function firstInvalidUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    try {
      decoder.decode(bytes.subarray(start, end < 0 ? bytes.length : end));
    } catch {
      return line;
    }
    if (end < 0) return line;
    start = end + 1;
  }
}

type SectionMap = Map<string, IniSection>;

/** One entry per section name; a repeated section is an error, its keys are still checked. */
function groupSections(scanned: ScannedIni, problems: ProblemList): SectionMap {
  const sections: SectionMap = new Map();
  const allowed = [...KNOWN_SECTIONS, ...LEGACY_SECTIONS];
  for (const section of scanned.sections) {
    const legacyName = LEGACY_SECTIONS.find((name) => name.toLowerCase() === section.name.toLowerCase());
    const name = legacyName ?? section.name;
    const earlier = sections.get(name);
    if (earlier) {
      problems.error(name, `section [${name}] already appears on line ${earlier.line}; merge the two into one section`, section.line);
      earlier.entries.push(...section.entries);
    } else if (!allowed.includes(name)) {
      problems.error(name, `unknown section [${name}]; ${describeAlternatives(name, KNOWN_SECTIONS, 'sections')}`, section.line);
    } else {
      sections.set(name, { ...section, name });
    }
  }
  return sections;
}

function readCustomerAndLocations(sections: SectionMap, problems: ProblemList): { customerId?: string; locations: Location[] } {
  const legacyCustomer = sections.get('Customer-info');
  const legacyLocations = sections.get('Location-info');
  if (!legacyCustomer && !legacyLocations) {
    const customer = shapeSection('customer', sections.get('customer'), problems);
    reportDuplicateKeys(sections.get('customer') ?? { name: 'customer', line: 0, entries: [] }, problems);
    const locations = parseLocations(sections.get('locations'), problems);
    return customer.id === undefined ? { locations } : { customerId: customer.id, locations };
  }
  const mixed = ['customer', 'locations'].filter((name) => sections.has(name));
  for (const name of mixed) {
    const section = sections.get(name);
    problems.error(name, `[${name}] cannot be combined with the old [Customer-info] / [Location-info] sections; keep one format (the new one is preferred)`, section?.line);
  }
  if (mixed.length > 0) return { locations: [] };
  return readLegacy({ customer: legacyCustomer, locations: legacyLocations }, problems);
}

function shapeKnownSections(sections: SectionMap, problems: ProblemList): ShapedSections {
  const names = Object.keys(sectionSchemas).filter((name) => name !== 'customer') as (keyof ShapedSections)[];
  const shaped: Partial<Record<keyof ShapedSections, unknown>> = {};
  for (const name of names) {
    const section = sections.get(name);
    if (section) reportDuplicateKeys(section, problems);
    shaped[name] = shapeSection(name, section, problems);
  }
  return shaped as ShapedSections;
}

async function applyRules(config: AgentConfig, sections: SectionMap, problems: ProblemList): Promise<void> {
  const lineOf = (where: string): number | undefined => {
    const [sectionName, key] = where.split('.');
    const section = sections.get(sectionName ?? '');
    const entries = section?.entries.filter((entry) => entry.key === key) ?? [];
    return entries[0]?.line ?? section?.line;
  };
  const failed = (where: string) => problems.failed.has(where) || problems.failed.has(where.split('.')[0] ?? '');
  for (const rule of rules) {
    if (rule.uses.some(failed)) continue;
    for (const problem of await rule.check(config)) {
      if (problem.severity === 'error') problems.error(problem.where, problem.message, lineOf(problem.where));
      else problems.warning(problem.where, problem.message, lineOf(problem.where));
    }
  }
}
