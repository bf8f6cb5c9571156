// Step 1 of loading (shape): from scanned INI sections to typed, per-key values. Reports unknown
// sections and keys (with a "did you mean"), duplicates, missing required keys, secrets typed into
// config.ini, and every value that does not parse. Defaults and paths are step 2 (normalise.ts).
import * as field from './fields.ts';
import { requiredField, type Field, type FieldValue } from './fields.ts';
import type { IniEntry, IniSection } from './ini-lines.ts';
import type { ProblemList } from './problems.ts';
import { describeAlternatives } from './suggest.ts';
import { iamRoleArn, rolesAnywhereArn } from './roles-anywhere-fields.ts';

/** Each section's keys and their parsers; a key not listed here is an unknown key. */
export const sectionSchemas = {
  customer: { id: requiredField(field.identifier, 'your customer id, e.g. id = acme-001') },
  open_meteo: {
    url: field.httpUrl('the forecast endpoint, e.g. https://api.open-meteo.com/v1/forecast', field.OPEN_METEO_URL_OPTIONS),
    variables: field.variableList,
    schedule: field.cronSchedule,
    jitter_seconds: field.wholeNumber(0, 3600, 'seconds'),
    timeout_seconds: field.wholeNumber(1, 300, 'seconds'),
    api_key: field.secretText,
    call_budget: field.callBudget,
  },
  s3: {
    bucket: requiredField(field.bucketName, 'the target bucket name'),
    region: requiredField(field.region, "the bucket's region, e.g. eu-north-1"),
    prefix: field.keyPrefix,
    endpoint: field.httpUrl('an S3-compatible endpoint such as http://127.0.0.1:9000'),
    credentials_file: field.pathText,
    retry_schedule: field.cronSchedule,
  },
  storage: { dir: field.pathText, max_dump_mb: field.wholeNumber(1, 1_048_576, 'MB') },
  logging: { dir: field.pathText, level: field.logLevel, keep_days: field.wholeNumber(1, 3650, 'days') },
  network: { proxy: field.proxyUrl, ca_file: field.pathText },
  // All optional here: required only when the section is present (rule rolesAnywhereRequiredKeys).
  roles_anywhere: {
    certificate_file: field.pathText,
    private_key_file: field.pathText,
    certificate_chain_file: field.pathText,
    trust_anchor_arn: rolesAnywhereArn('trust-anchor'),
    profile_arn: rolesAnywhereArn('profile'),
    role_arn: iamRoleArn,
    region: field.region,
    endpoint: field.httpUrl('the Roles Anywhere endpoint, e.g. https://rolesanywhere.eu-north-1.amazonaws.com'),
    session_duration_seconds: field.wholeNumber(900, 43200, 'seconds'),
  },
} satisfies Record<string, Record<string, Field<unknown>>>;

type Schemas = typeof sectionSchemas;
export type ShapedSections = { [S in keyof Schemas]: Partial<{ [K in keyof Schemas[S]]: FieldValue<Schemas[S][K]> }> };

export const LEGACY_SECTIONS = ['Customer-info', 'Location-info'] as const;
export const KNOWN_SECTIONS = ['customer', 'locations', ...Object.keys(sectionSchemas).filter((s) => s !== 'customer')];

/** Keys whose empty value means "no prefix" rather than "not set". */
const EMPTY_IS_A_VALUE = new Set(['s3.prefix']);

/** Parses one known section (not [locations]) into its typed values; keys with errors are left out. */
export function shapeSection<S extends keyof Schemas>(name: S, section: IniSection | undefined, problems: ProblemList): ShapedSections[S] {
  const input: Record<string, string> = {};
  const lines = new Map<string, number>();
  for (const entry of section?.entries ?? []) {
    if (!isKnownKey(name, entry, problems)) continue;
    lines.set(entry.key, entry.line);
    if (entry.value === '' && !EMPTY_IS_A_VALUE.has(`${name}.${entry.key}`)) continue;
    input[entry.key] = entry.value;
  }
  // Key by key rather than the whole object, so one bad key does not hide the section's good ones
  // from the rules (which would otherwise check a default instead of the technician's value).
  const fields: Record<string, Field<unknown>> = sectionSchemas[name];
  const values: Record<string, unknown> = {};
  for (const [key, keyField] of Object.entries(fields)) {
    const text = input[key];
    const result = text === undefined ? (keyField.missing ? { ok: false as const, message: keyField.missing } : undefined) : keyField.parse(text);
    if (result?.ok) values[key] = result.value;
    else if (result) problems.error(`${name}.${key}`, result.message, lines.get(key) ?? section?.line);
  }
  return values as ShapedSections[S];
}

function isKnownKey(section: keyof Schemas, entry: IniEntry, problems: ProblemList): boolean {
  const known = Object.keys(sectionSchemas[section]);
  if (known.includes(entry.key)) return true;
  if (!reportInlineSecret(section, entry, problems)) {
    problems.error(`${section}.${entry.key}`, `unknown key; ${describeAlternatives(entry.key, known, `keys in [${section}]`)}`, entry.line);
  }
  return false;
}

const SECRET_KEY_NAME = /(access_key|secret|session_token|password|passwd|credential)/i;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/;

/** An AWS key or password typed straight into config.ini: an error that never shows the value. */
export function reportInlineSecret(section: string, entry: IniEntry, problems: ProblemList): boolean {
  const secretName = SECRET_KEY_NAME.test(entry.key) && !entry.key.endsWith('_file');
  if (!secretName && !AWS_ACCESS_KEY_ID.test(entry.value)) return false;
  const fix =
    section === 'network'
      ? 'put proxy credentials in the proxy URL (proxy = http://user:password@host:port)'
      : 'put AWS keys in a separate file named by s3.credentials_file (aws_access_key_id / aws_secret_access_key), readable only by the agent';
  problems.error(`${section}.${entry.key}`, `looks like a key or password; secrets do not belong in config.ini: ${fix}`, entry.line);
  return true;
}

/** Every key set twice in one section is an error naming both lines (the `ini` parser would keep the last). */
export function reportDuplicateKeys(section: IniSection, problems: ProblemList, noun = 'key'): void {
  const first = new Map<string, number>();
  for (const entry of section.entries) {
    const earlier = first.get(entry.key.toLowerCase());
    if (earlier === undefined) first.set(entry.key.toLowerCase(), entry.line);
    else problems.error(`${section.name}.${entry.key}`, `${noun} '${entry.key}' is already set on line ${earlier}; keep only one`, entry.line);
  }
}
