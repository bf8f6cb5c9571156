// docs/support-guide.md cannot fall behind the code: every error/warn log message in agent/, every
// SinkError code, every Open-Meteo error kind, every Windows event id and every doctor check id
// must appear in it. Messages are taken from the source text, so a new or reworded message fails
// here until the guide explains it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
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

/** The literal start of each logger .error/.warn message (config ProblemLists excluded). */
function logMessages(): { file: string; message: string }[] {
  const found: { file: string; message: string }[] = [];
  for (const { file, text } of sources) {
    for (const match of text.matchAll(/(?<!problems)\.(?:error|warn)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
      const literal = (match[2] ?? '').split('${')[0]?.replace(/\\(.)/g, '$1') ?? '';
      if (literal.length >= 12) found.push({ file, message: literal });
    }
  }
  return found;
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
    expect(logMessages().length).toBeGreaterThan(10);
    expect(sinkCodes()).toEqual(expect.arrayContaining(['AccessDenied', 'NetworkError', 'RequestTimeTooSkewed', 'CredentialsError']));
    expect(sourceKinds()).toEqual(expect.arrayContaining(['bad-request', 'rate-limited']));
    expect(doctorCheckIds()).toEqual(expect.arrayContaining(['config', 's3.canary', 'open-meteo.proxy', 'clock', 'service']));
  });

  it.each(logMessages().map((m) => [m.message, m.file]))('explains the log message "%s" (%s)', (message) => {
    expect(guide).toContain(message);
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
