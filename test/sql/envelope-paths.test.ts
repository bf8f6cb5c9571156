// The SQL and the agent agree on the record format: every JSON path the SQL reads exists in
// agent/envelope/envelope.schema.json, and records written by the agent's own builders validate
// against that schema and carry every one of those paths.
import { describe, expect, it } from 'vitest';
import { toNdjson } from '../../agent/envelope/records.ts';
import {
  findRecordPathReads,
  loadEnvelopeSchema,
  schemaDeclaresPath,
  valueAtPath,
} from './envelope-paths.ts';
import { buildFixtureRecords, createEnvelopeValidator } from './fixtures.ts';
import { loadScripts, renderedStatements, splitStatements, TEARDOWN_FILE } from './sql-scripts.ts';

const deployStatements = renderedStatements(loadScripts().filter((s) => s.file !== TEARDOWN_FILE));
const { reads, problems } = findRecordPathReads(deployStatements);
const paths = [...new Set(reads.map((r) => r.path))].sort();

describe('JSON paths the SQL reads from a record', () => {
  it('are all written in a form the checker can follow', () => {
    expect(problems).toEqual([]);
  });

  it('include the fields each merge depends on (the extraction works)', () => {
    expect(paths).toEqual(expect.arrayContaining([
      'customer_id', 'record_type', 'schema_version', 'record_id', 'collected_at', 'observed_at',
      'location.id', 'location.latitude', 'agent.version', 'agent.host', 'payload.current',
      'payload.current_units', 'cycle.started_at', 'cycle.outcome', 'cycle.locations',
      'cycle.locations[].id', 'cycle.dump_backlog.oldest_at', 'cycle.last_error_class',
    ]));
  });

  it('all exist in the envelope schema', () => {
    const schema = loadEnvelopeSchema();
    const missing = reads
      .filter((r) => !schemaDeclaresPath(schema, r.path))
      .map((r) => `${r.statement.file}:${r.statement.line} reads record:${r.path}, which envelope.schema.json does not declare`);
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('fail the check when the schema renames a field', () => {
    const schema = loadEnvelopeSchema();
    const defs = schema.$defs as Record<string, { properties: Record<string, unknown> }>;
    const location = defs.observation?.properties.location as { properties: Record<string, unknown> };
    location.properties.site_id = location.properties.id;
    delete location.properties.id;
    expect(schemaDeclaresPath(schema, 'location.id')).toBe(false);
    expect(schemaDeclaresPath(schema, 'location.site_id')).toBe(true);
    expect(schemaDeclaresPath(schema, 'cycle.locations[].id')).toBe(true);
    expect(schemaDeclaresPath(schema, 'cycle.locations[].nope')).toBe(false);
  });

  it('follow FLATTEN through a column alias', () => {
    const found = findRecordPathReads(splitStatements('x.sql', `
      SELECT record:cycle.locations AS cycle_locations FROM t;
      SELECT loc.value:outcome::STRING FROM s, LATERAL FLATTEN(INPUT => s.cycle_locations) AS loc;
      SELECT record['bad'] FROM t;
    `));
    expect(found.reads.map((r) => r.path)).toEqual(['cycle.locations', 'cycle.locations[].outcome']);
    expect(found.problems).toEqual([expect.stringContaining('x.sql:4: bracket or quoted access')]);
  });
});

describe('records written by the agent', () => {
  const { records } = buildFixtureRecords();
  const validate = createEnvelopeValidator();

  it('validate against the envelope schema', () => {
    for (const record of records) expect(validate(record), record.record_type).toEqual([]);
    expect(validate({ ...records[0], customer_id: 'bad id!' })).not.toEqual([]);
  });

  it('carry every path the SQL reads, in at least one record', () => {
    const absent = paths.filter((path) => records.every((record) => valueAtPath(record, path) === undefined));
    expect(absent).toEqual([]);
  });

  it('serialise as NDJSON, one record per line, as the pipe expects', () => {
    const lines = toNdjson(records).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(records);
  });
});
