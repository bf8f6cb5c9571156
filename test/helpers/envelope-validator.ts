// Validates records against the envelope JSON Schema (agent/envelope/envelope.schema.json), the
// same file sql/ checks read, so a field renamed on either side fails a test.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import schema from '../../agent/envelope/envelope.schema.json' with { type: 'json' };

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Empty when `record` is a valid envelope record; otherwise one readable line per problem. */
export function envelopeProblems(record: unknown): string[] {
  if (validate(record)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}
