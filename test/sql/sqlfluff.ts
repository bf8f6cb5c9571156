// Runs Debian's sqlfluff (1.4.5, installed by .ci/debian-packages.sh, which test/setup/system-tools.ts runs
// when it is missing) over rendered statements and reports which ones it cannot parse, matched
// against sql/sqlfluff-allowlist.txt.
//
// Each statement goes into its own file, padded with blank lines so sqlfluff's line numbers are
// the script's, and `sqlfluff parse --format json <dir>` parses a directory per process (it takes
// about a second to start). A statement is unparsable when its tree holds an `unparsable` node.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SQL_DIR, type SqlStatement } from './sql-scripts.ts';
import type { ParseCache } from './sqlfluff-cache.ts';
import { ensureTools, TEST_TOOLS } from '../setup/system-tools.ts';

const SQLFLUFF_TOOL = TEST_TOOLS.find((tool) => tool.command === 'sqlfluff')!;

export const ALLOWLIST_FILE = join(SQL_DIR, 'sqlfluff-allowlist.txt');

export interface AllowlistEntry {
  file: string;
  /** Start of the statement, before any template variable; case-insensitive, whitespace collapsed. */
  prefix: string;
  reason: string;
  line: number;
}

export interface ParseFailure {
  statement: SqlStatement;
  /** The text sqlfluff could not parse, shortened. */
  unparsable: string;
}

/** Lines `file | statement prefix | reason`; '#' comments and blank lines ignored. */
export function loadAllowlist(path: string = ALLOWLIST_FILE): AllowlistEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((text, index) => ({ text: text.trim(), line: index + 1 }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'))
    .map(({ text, line }) => {
      const [file = '', prefix = '', ...reason] = text.split('|').map((part) => part.trim());
      return { file, prefix: prefix.replace(/\s+/g, ' '), reason: reason.join('|').trim(), line };
    });
}

export function matchesAllowlist(entry: AllowlistEntry, statement: SqlStatement): boolean {
  return entry.file === statement.file && statement.code.toUpperCase().startsWith(entry.prefix.toUpperCase());
}

/** sqlfluff's version line; installs it with .ci/debian-packages.sh when missing (test/setup/system-tools.ts). */
export function sqlfluffVersion(): string {
  ensureTools([SQLFLUFF_TOOL]);
  return spawnSync('sqlfluff', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

export const PARSE_ARGS = ['parse', '--dialect', 'snowflake', '--templater', 'raw', '--format', 'json', '--nocolor'] as const;

/** What sqlfluff reads for a statement: padded so that its line numbers are the script's. */
function fileContent(statement: SqlStatement): string {
  return `${'\n'.repeat(Math.max(0, statement.line - 1))}${statement.text};\n`;
}

/**
 * Parses every statement; returns those sqlfluff cannot parse. Two sqlfluff processes share the
 * work (parsing MERGEs is slow, ~0.5 s each, and CI has two cores). With a cache (sqlfluff-cache.ts)
 * only statements without a cached verdict are parsed.
 */
export async function findUnparsable(statements: SqlStatement[], options: { processes?: number; cache?: ParseCache } = {}): Promise<ParseFailure[]> {
  const { processes = 2, cache } = options;
  const cached = statements.map((statement) => cache?.get(fileContent(statement)));
  const todo = statements.filter((_statement, index) => cached[index] === undefined);
  const chunkSize = Math.max(1, Math.ceil(todo.length / processes));
  const chunks: SqlStatement[][] = [];
  for (let i = 0; i < todo.length; i += chunkSize) chunks.push(todo.slice(i, i + chunkSize));
  const parsed = (await Promise.all(chunks.map(parseChunk))).flat();
  for (const statement of todo) {
    cache?.set(fileContent(statement), { unparsable: parsed.find((f) => f.statement === statement)?.unparsable ?? null });
  }
  const fromCache = statements.flatMap((statement, index) => {
    const unparsable = cached[index]?.unparsable;
    return typeof unparsable === 'string' ? [{ statement, unparsable }] : [];
  });
  return [...fromCache, ...parsed].sort((a, b) => statements.indexOf(a.statement) - statements.indexOf(b.statement));
}

async function parseChunk(statements: SqlStatement[]): Promise<ParseFailure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'datapipe-sqlfluff-'));
  try {
    statements.forEach((statement, index) => {
      writeFileSync(join(dir, `${String(index).padStart(4, '0')}.sql`), fileContent(statement));
    });
    const { stdout, stderr } = await runSqlfluff([...PARSE_ARGS, dir]);
    return collectFailures(stdout, stderr, statements);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runSqlfluff(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sqlfluff', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new Error(`could not run sqlfluff: ${error.message}`, { cause: error })));
    // Exit status 1 only means "something did not parse"; the JSON tree says what.
    child.on('close', () => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

interface ParsedFile {
  filepath: string;
  segments: unknown;
}

function collectFailures(stdout: string, stderr: string, statements: SqlStatement[]): ParseFailure[] {
  let parsed: ParsedFile[];
  try {
    parsed = JSON.parse(stdout) as ParsedFile[];
  } catch {
    throw new Error(`sqlfluff printed no JSON parse tree. stderr:\n${stderr.slice(0, 2000)}`);
  }
  if (parsed.length !== statements.length) {
    throw new Error(`sqlfluff returned ${parsed.length} parse trees for ${statements.length} statements`);
  }
  const failures: ParseFailure[] = [];
  for (const file of parsed) {
    const statement = statements[Number(basename(file.filepath, '.sql'))];
    if (!statement) throw new Error(`sqlfluff reported an unknown file ${file.filepath}`);
    const sections = findUnparsableSections(file.segments);
    if (sections.length > 0) failures.push({ statement, unparsable: sections.join(' | ').slice(0, 200) });
  }
  return failures;
}

/** Text of every `unparsable` node in a sqlfluff JSON tree. */
function findUnparsableSections(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(findUnparsableSections);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'unparsable' ? [leafText(value).replace(/\s+/g, ' ').trim()] : findUnparsableSections(value),
  );
}

function leafText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(leafText).join('');
  if (node !== null && typeof node === 'object') return Object.values(node).map(leafText).join('');
  return '';
}
