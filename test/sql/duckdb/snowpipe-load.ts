// One staged file through the emulated pipe (definitions and Snowflake references in snowpipe.ts):
// PATTERN, 14-day name dedup, decompression, ON_ERROR, then the pipe's own SELECT list executed on
// DuckDB over the staged lines, and a COPY_HISTORY row for the monitoring views, all in one
// transaction.
import { contentKey, loadStatus, parseStagedFile, type LoadStatus, type StagedFile } from './snowpipe.ts';
import type { Sql } from './streams-tasks.ts';
import type { PipeState } from './warehouse.ts';

export interface Delivery {
  pipe: string;
  path: string;
  status: 'ignored (PATTERN)' | 'skipped (already loaded)' | 'queued (pipe paused)' | LoadStatus;
  rowsLoaded: number;
  errors: number;
}

const DEDUP_DAYS = 14;
let nextLoadId = 1;

function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

interface Clocked extends Sql {
  readonly database: string;
  now(): Promise<Date>;
}

export async function deliverFile(sql: Clocked, pipe: PipeState, file: StagedFile): Promise<Delivery> {
  const { definition } = pipe;
  const base = { pipe: definition.name, path: file.path, rowsLoaded: 0, errors: 0 };
  if (!definition.pattern.test(file.path)) return { ...base, status: 'ignored (PATTERN)' };
  const now = await sql.now();
  const loadedAt = pipe.loaded.get(file.path);
  if (loadedAt && now.getTime() - loadedAt.getTime() < DEDUP_DAYS * 86_400_000) return { ...base, status: 'skipped (already loaded)' };
  const parsed = parseStagedFile(file);
  const { status, load } = loadStatus(parsed, definition.onError);
  const db = sql.database;
  const loadId = nextLoadId++;
  const rowsLoaded = load ? parsed.rows.length : 0;
  await sql.run('BEGIN TRANSACTION');
  try {
    if (load) await insertRows(sql, pipe, file, parsed.rows, loadId);
    const firstError = parsed.fatal ? { line: 0, message: parsed.fatal } : parsed.errors[0];
    const [catalog, schema, table] = definition.target.split('.');
    const [pipeCatalog, pipeSchema, pipeName] = definition.name.split('.');
    const history = [
      file.path, `s3://${file.path}`, 'sf_current_timestamp()', rowsLoaded, parsed.rows.length + parsed.errors.length, file.body.length,
      firstError?.message ?? null, firstError?.line ?? null, firstError ? 1 : null, null, parsed.errors.length + (parsed.fatal ? 1 : 0),
      definition.onError === 'CONTINUE' ? parsed.rows.length + parsed.errors.length : 1, status, catalog, schema, table,
      pipeCatalog, pipeSchema, pipeName, 'sf_current_timestamp()', load ? 'sf_current_timestamp()' : null,
    ].map((v) => (v === 'sf_current_timestamp()' ? v : literal(v as string | number | null)));
    await sql.run(`INSERT INTO ${db}.EMULATION.LOAD_HISTORY VALUES (${history.join(', ')})`);
    await sql.run(`UPDATE ${db}.EMULATION.PIPES SET last_received_at = sf_current_timestamp()${load ? `, last_ingested_at = sf_current_timestamp(), last_ingested_file = ${literal(file.path)}` : ''} WHERE name = '${definition.name}'`);
    await sql.run('COMMIT');
  } catch (error) {
    await sql.run('ROLLBACK');
    throw error;
  }
  if (load) pipe.loaded.set(file.path, now);
  return { ...base, status, rowsLoaded, errors: parsed.errors.length };
}

async function insertRows(sql: Clocked, pipe: PipeState, file: StagedFile, rows: { line: number; json: string }[], loadId: number): Promise<void> {
  const db = sql.database;
  const key = contentKey(file.body);
  const modified = file.lastModified.toISOString().replace('T', ' ').replace('Z', '');
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows.slice(i, i + 500).map((row) =>
      `(${loadId}, ${literal(row.json)}, ${literal(file.path)}, ${row.line}, ${literal(key)}, TIMESTAMP '${modified}', sf_current_timestamp())`,
    );
    await sql.run(`INSERT INTO ${db}.EMULATION.STAGED_ROWS VALUES ${values.join(', ')}`);
  }
  const { target, columns, selectList } = pipe.definition;
  await sql.run(`INSERT INTO ${target} (${columns.join(', ')}) SELECT ${selectList.join(', ')} FROM ${db}.EMULATION.STAGED_ROWS WHERE load_id = ${loadId} ORDER BY metadata_file_row_number`);
  await sql.run(`DELETE FROM ${db}.EMULATION.STAGED_ROWS WHERE load_id = ${loadId}`);
}
