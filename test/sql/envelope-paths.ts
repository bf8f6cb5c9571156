// Finds every JSON path the SQL reads from an envelope record and resolves it in
// agent/envelope/envelope.schema.json, so a field renamed on either side fails CI.
//
// What counts as a read (the scripts follow these conventions; anything else is reported):
//   record:a.b.c                      a path from the raw VARIANT column `record`
//   record:a.b AS col                 `col` now stands for a.b (e.g. cycle_locations)
//   FLATTEN(INPUT => record:a.b) x    x.value:c reads a.b[].c
//   FLATTEN(INPUT => t.col) x         the same, through a column alias from above
// Bracket access (record['a'], record:"a") is not allowed: the checker could not follow it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type SqlStatement } from './sql-scripts.ts';

export const SCHEMA_FILE = join(REPO_ROOT, 'agent', 'envelope', 'envelope.schema.json');

export interface JsonPathRead {
  /** Dotted path; '[]' marks array items, e.g. cycle.locations[].id */
  path: string;
  statement: SqlStatement;
}

const PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*';

/** Code with string literals blanked, so text inside quotes is never taken for a path. */
function withoutStrings(code: string): string {
  return code.replace(/'(?:[^']|'')*'/g, "''");
}

/** Column aliases that stand for a record path: `record:cycle.locations AS cycle_locations`. */
export function findPathAliases(statements: SqlStatement[]): Map<string, string> {
  const aliases = new Map<string, string>();
  const pattern = new RegExp(`\\brecord:(${PATH})\\s+AS\\s+([A-Za-z_][A-Za-z0-9_]*)`, 'gi');
  for (const statement of statements) {
    for (const m of withoutStrings(statement.code).matchAll(pattern)) {
      aliases.set((m[2] as string).toLowerCase(), m[1] as string);
    }
  }
  return aliases;
}

export function findRecordPathReads(statements: SqlStatement[]): { reads: JsonPathRead[]; problems: string[] } {
  const aliases = findPathAliases(statements);
  const reads: JsonPathRead[] = [];
  const problems: string[] = [];
  const direct = new RegExp(`\\brecord:(${PATH})`, 'gi');
  const flatten = new RegExp(
    `FLATTEN\\s*\\(\\s*INPUT\\s*=>\\s*(?:[A-Za-z_]\\w*\\.)?(record:(${PATH})|[A-Za-z_]\\w*)\\s*\\)\\s*(?:AS\\s+)?([A-Za-z_]\\w*)`,
    'gi',
  );
  for (const statement of statements) {
    const code = withoutStrings(statement.code);
    if (/\brecord\s*(\[|:\s*")/i.test(code)) {
      problems.push(`${statement.file}:${statement.line}: bracket or quoted access to record; write record:a.b so the path can be checked`);
    }
    for (const m of code.matchAll(direct)) reads.push({ path: m[1] as string, statement });
    for (const m of code.matchAll(flatten)) {
      const arrayPath = m[2] ?? aliases.get((m[1] as string).toLowerCase());
      if (arrayPath === undefined) continue;
      const itemPattern = new RegExp(`\\b${m[3]}\\.value:(${PATH})`, 'gi');
      for (const item of code.matchAll(itemPattern)) reads.push({ path: `${arrayPath}[].${item[1]}`, statement });
    }
  }
  return { reads, problems };
}

type Schema = Record<string, unknown>;

export function loadEnvelopeSchema(path: string = SCHEMA_FILE): Schema {
  return JSON.parse(readFileSync(path, 'utf8')) as Schema;
}

/** The subschemas a node stands for: itself plus everything reached via $ref/allOf/anyOf/oneOf. */
function expand(root: Schema, node: unknown, seen = new Set<unknown>()): Schema[] {
  if (node === null || typeof node !== 'object' || seen.has(node)) return [];
  seen.add(node);
  const schema = node as Schema;
  const out: Schema[] = [schema];
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').reduce<unknown>((n, key) => (n as Schema | undefined)?.[key], root);
    out.push(...expand(root, target, seen));
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const item of list) out.push(...expand(root, item, seen));
  }
  return out;
}

/** True when the schema declares this path (in any branch); undeclared extra properties do not count. */
export function schemaDeclaresPath(root: Schema, path: string): boolean {
  let nodes = expand(root, root);
  for (const segment of path.replace(/\[\]/g, '.[]').split('.')) {
    const next: Schema[] = [];
    for (const node of nodes) {
      const child = segment === '[]' ? node.items : (node.properties as Schema | undefined)?.[segment];
      next.push(...expand(root, child));
    }
    if (next.length === 0) return false;
    nodes = next;
  }
  return true;
}

/** The value at a path in a record (arrays: the first item that has it), or undefined. */
export function valueAtPath(record: unknown, path: string): unknown {
  const segments = path.replace(/\[\]/g, '.[]').split('.');
  const walk = (value: unknown, rest: string[]): unknown => {
    if (rest.length === 0) return value;
    const [head, ...tail] = rest;
    if (head === '[]') {
      if (!Array.isArray(value)) return undefined;
      return value.map((item) => walk(item, tail)).find((v) => v !== undefined);
    }
    if (value === null || typeof value !== 'object') return undefined;
    return walk((value as Record<string, unknown>)[head as string], tail);
  };
  return walk(record, segments);
}
