// docs/support-guide.md cannot fall behind the code: every error/warn log event of the catalogue
// (agent/log/events.ts), every SinkError code, every Open-Meteo error kind, every Windows event id
// and every doctor check id must appear in it. A log event's row must sit in the section the
// catalogue names, carry its level and name, and quote its message, so a new or reworded message
// fails here until the guide explains it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listLogEvents } from '../../agent/log/events.ts';
import { WINDOWS_EVENTS } from '../../agent/log/windows-event-log.ts';

const root = join(import.meta.dirname, '..', '..');
const guide = readFileSync(join(root, 'docs', 'support-guide.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const sources = sourceFiles(join(root, 'agent')).map((path) => ({ file: relative(root, path), text: readFileSync(path, 'utf8') }));

/** The `### ` sections of the guide by their GitHub anchor, each as its lines. */
function guideSections(): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of guide.split('\n')) {
    if (line.startsWith('#')) {
      current = [];
      const anchor = line.replace(/^#+\s*/, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
      sections.set(anchor, current);
    } else {
      current.push(line);
    }
  }
  return sections;
}

/** The events support must be able to look up: every error and warn, and any other with a guide row. */
function explainedEvents(): { name: string; level: string; text: string; guide: string | undefined }[] {
  return listLogEvents()
    .filter((event) => event.level === 'error' || event.level === 'warn' || event.guide !== undefined)
    .map((event) => ({ name: event.name, level: event.level, text: typeof event === 'function' ? event.shownInGuide : event.message, guide: event.guide }));
}

/** The rows of the tables under "## Log messages". */
function logMessageRows(): string[] {
  const part = guide.slice(guide.indexOf('## Log messages'), guide.indexOf('\n## ', guide.indexOf('## Log messages') + 1));
  return part.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| level |'));
}

function sinkCodes(): string[] {
  const codes = new Set<string>();
  for (const { text } of sources) for (const match of text.matchAll(/new SinkError\(\s*'([A-Za-z]+)'/g)) codes.add(match[1] ?? '');
  const classifier = sources.find((s) => s.file.endsWith(join('sinks', 's3', 'classify-error.ts')))?.text ?? '';
  for (const block of ['PERMANENT_ERRORS', 'RETRYABLE_HINTS']) {
    const body = new RegExp(`const ${block} = [\\s\\S]*?\\n\\}\\)\\);`).exec(classifier)?.[0] ?? '';
    for (const match of body.matchAll(/^ {2}([A-Z][A-Za-z]+):/gm)) codes.add(match[1] ?? '');
  }
  const retryable = /const RETRYABLE_S3_CODES = new Set\(\[([\s\S]*?)\]\)/.exec(classifier)?.[1] ?? '';
  for (const match of retryable.matchAll(/'([A-Za-z]+)'/g)) codes.add(match[1] ?? '');
  return [...codes].filter(Boolean).sort();
}

function sourceKinds(): string[] {
  const errors = sources.find((s) => s.file === join('agent', 'errors.ts'))?.text ?? '';
  const union = /export type SourceErrorKind =([\s\S]*?);/.exec(errors)?.[1] ?? '';
  return [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1] ?? '');
}

function doctorCheckIds(): string[] {
  const ids = new Set<string>();
  for (const { text } of sources.filter((s) => s.file.startsWith(join('agent', 'doctor')))) {
    for (const match of text.matchAll(/\b(?:pass|warn|fail|skip)\(\s*'([a-z][a-z0-9._-]*)'/g)) ids.add(match[1] ?? '');
    for (const match of text.matchAll(/`\$\{endpoint\.id\}\.([a-z]+)`/g)) {
      for (const endpoint of ['open-meteo', 's3']) ids.add(`${endpoint}.${match[1] ?? ''}`);
    }
    for (const match of text.matchAll(/const id = '([a-z][a-z0-9._-]*)'/g)) ids.add(match[1] ?? '');
  }
  return [...ids].sort();
}

describe('docs/support-guide.md', () => {
  it('finds the messages in the source (the extraction works)', () => {
    expect(explainedEvents().length).toBeGreaterThan(10);
    expect(logMessageRows().length).toBeGreaterThan(10);
    expect(sinkCodes()).toEqual(expect.arrayContaining(['AccessDenied', 'NetworkError', 'RequestTimeTooSkewed', 'CredentialsError']));
    expect(sourceKinds()).toEqual(expect.arrayContaining(['bad-request', 'rate-limited']));
    expect(doctorCheckIds()).toEqual(expect.arrayContaining(['config', 's3.canary', 'open-meteo.proxy', 'clock', 'service']));
  });

  it.each(explainedEvents().map((e) => [e.name, e]))('explains the log event %s in its section, with its level and message', (name, event) => {
    expect(event.guide, `${name} names no support-guide section`).toBeDefined();
    const section = guideSections().get(event.guide ?? '');
    expect(section, `no section #${event.guide} in docs/support-guide.md`).toBeDefined();
    const row = section?.find((line) => line.includes(`| \`${name}\` |`));
    expect(row, `no row for ${name} under #${event.guide}`).toBeDefined();
    expect(row?.startsWith(`| ${event.level} `)).toBe(true);
    expect(row).toContain(event.text);
  });

  it('names only events of the catalogue in its log message tables', () => {
    const names = new Set(listLogEvents().map((event) => event.name));
    const stale = logMessageRows().filter((row) => !names.has(/^\| [^|]+ \| `([a-z0-9.-]+)` \|/.exec(row)?.[1] ?? ''));
    expect(stale).toEqual([]);
  });

  it.each(sinkCodes())('explains the S3 error code %s', (code) => {
    expect(guide).toContain(`\`${code}\``);
  });

  it.each(sourceKinds())('explains the Open-Meteo error kind %s', (kind) => {
    expect(guide).toContain(`| \`${kind}\` |`);
  });

  it.each(Object.entries(WINDOWS_EVENTS))('documents the Windows event %s with its id and type', (name, event) => {
    const type = event.type.charAt(0) + event.type.slice(1).toLowerCase();
    expect(guide).toMatch(new RegExp(`\\| ${event.id} \\| ${type} \\| ${name} \\|`));
  });

  it.each(doctorCheckIds())('documents the doctor check %s', (id) => {
    expect(guide).toContain(`\`${id}\``);
  });
});
