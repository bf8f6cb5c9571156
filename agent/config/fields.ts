// Value parsers for config.ini keys: each turns the text of one key into its typed value or the
// message saying what is wrong and what is expected; messages echo the value only for keys that
// cannot hold a secret (see `secretText` and `proxyUrl`). Plain functions rather than a schema
// library: every key is one string in, one value or one message out (zod cost ~30 ms and ~13 MB
// at every start, docs/performance.md).
import cron from 'node-cron';
import { proxyUrlProblem } from '../net/proxy.ts';

export type FieldResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** The parser of one key. `missing` is set on required keys: the message when the key is absent or empty. */
export interface Field<T> {
  readonly missing?: string;
  parse(text: string): FieldResult<T>;
}

/** The typed value a field produces. */
export type FieldValue<F> = F extends Field<infer T> ? T : never;

/** `field`, required: `what` says what to put there. */
export function requiredField<T>(field: Field<T>, what: string): Field<T> {
  return { parse: field.parse, missing: `is missing; it is required (${what})` };
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const ID_RULE = "letters, digits, '-' and '_' only, 1 to 64 characters";

/** A field that passes the text through when `check` returns null, else fails with its message. */
export function checkedText(check: (value: string) => string | null): Field<string> {
  return {
    parse(text) {
      const message = check(text);
      return message === null ? { ok: true, value: text } : { ok: false, message };
    },
  };
}

/** One of `words` (exactly as written); any other text fails with `describe(text)`. */
function oneOf<W extends string>(words: readonly W[], describe: (text: string) => string): Field<W> {
  return { parse: (text) => ((words as readonly string[]).includes(text) ? { ok: true, value: text as W } : { ok: false, message: describe(text) }) };
}

export const identifier = checkedText((value) => (ID_PATTERN.test(value) ? null : `'${value}' is not a valid id; use ${ID_RULE}`));

export function wholeNumber(min: number, max: number, unit: string): Field<number> {
  const range = `a whole number from ${min} to ${max} ${unit}`;
  return {
    parse(text) {
      if (!/^\+?\d+$/.test(text)) return { ok: false, message: `'${text}' is not a number; expected ${range}` };
      const value = Number(text);
      return value < min || value > max ? { ok: false, message: `${text} is out of range; expected ${range}` } : { ok: true, value };
    },
  };
}

export const cronSchedule = checkedText((value) => {
  const fields = value.split(/\s+/).length;
  const expected = "expected a cron expression with 5 fields (minute hour day month weekday, e.g. '*/15 * * * *') or 6 (seconds first)";
  if (fields !== 5 && fields !== 6) return `'${value}' has ${fields} field${fields === 1 ? '' : 's'}; ${expected}`;
  return cron.validate(value) ? null : `'${value}' is not a valid cron expression; ${expected}`;
});

export const logLevel = oneOf(['error', 'warn', 'info', 'debug'], (text) => `'${text}' is not a log level; expected one of error, warn, info, debug`);

/**
 * An http(s) URL without user info, query or fragment (those could carry secrets into logs).
 * `allowedQuery` names the query parameters that may be given (open_meteo.url: forecast options).
 */
export function httpUrl(purpose: string, allowedQuery: readonly string[] = []): Field<string> {
  return checkedText((value) => {
    const url = URL.parse(value);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return `is not an http:// or https:// URL; expected ${purpose}`;
    }
    if (url.username || url.password) return `must not contain a user name or password; expected ${purpose}`;
    const refused = [...url.searchParams.keys()].filter((key) => !allowedQuery.includes(key));
    if (url.hash || (url.search && allowedQuery.length === 0)) return `must not contain '?' or '#' parts (put an API key in open_meteo.api_key); expected ${purpose}`;
    if (refused.length > 0) {
      return `must not set the query parameter(s) ${refused.join(', ')} (put an API key in open_meteo.api_key; the agent sets the coordinates and variables itself); allowed: ${allowedQuery.join(', ')}`;
    }
    return null;
  });
}

/** Forecast options that may follow '?' in open_meteo.url; the agent owns every other parameter. */
export const OPEN_METEO_URL_OPTIONS = ['models', 'cell_selection', 'temperature_unit', 'wind_speed_unit', 'precipitation_unit', 'timeformat', 'timezone'] as const;

export const callBudget = oneOf(['free', 'none'], (text) => `'${text}' is not a call budget; expected free (count calls as the free API does and pace requests) or none`);

/** The proxy URL may carry user:password; messages show it only with the password masked. */
export const proxyUrl = checkedText((value) => {
  // direct, system and pac+... are resolved at start-up by agent/net/proxy-setting.ts.
  if (/^(direct|system)$/i.test(value.trim())) return null;
  if (/^pac\+/i.test(value.trim())) {
    const pac = URL.parse(value.trim().slice(4));
    return pac && ['http:', 'https:', 'file:'].includes(pac.protocol) && (pac.protocol === 'file:' || pac.hostname) ? null : `is not a PAC file location; expected pac+http://host/proxy.pac, pac+https://... or pac+file:///path/proxy.pac`;
  }
  // The clients' own check (net/proxy.ts), so validate refuses exactly what run would.
  return proxyUrlProblem(value, { requireScheme: true }) ?? null;
});

/** A value that must never be echoed: messages describe it without showing it. */
export const secretText = checkedText((value) => (/\s/.test(value) ? 'contains spaces; paste the key exactly as issued, without spaces' : null));

/** The first bad name is reported; one message per key is enough to fix it. */
export const variableList: Field<string[]> = {
  parse(text) {
    const names = text.split(',').map((name) => name.trim());
    const seen = new Set<string>();
    for (const name of names) {
      const message = checkVariableName(name, seen);
      if (message) return { ok: false, message };
      seen.add(name);
    }
    return { ok: true, value: names };
  },
};

function checkVariableName(name: string, seen: Set<string>): string | null {
  if (name === '') return "has an empty item (two commas in a row, or a comma at the end); expected names separated by ', '";
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return `'${name}' is not a variable name; expected lower-case names such as temperature_2m`;
  if (seen.has(name)) return `'${name}' is listed twice; list each variable once`;
  return null;
}

/** S3 general purpose bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
export const bucketName = checkedText((value) => {
  const problem = bucketNameProblem(value);
  return problem ? `'${value}' is not a valid S3 bucket name: ${problem}` : null;
});

function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'it must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return "use only lower-case letters, digits, '.' and '-'";
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must start and end with a letter or digit';
  if (name.includes('..')) return "it must not contain '..'";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'it must not look like an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return "it must not start with 'xn--', 'sthree-' or 'amzn-s3-demo-'";
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'it ends with a suffix AWS reserves';
  return null;
}

export const region = checkedText((value) =>
  /^[a-z0-9][a-z0-9-]*$/.test(value) ? null : `'${value}' is not a region name; expected lower-case letters, digits and '-', such as eu-north-1`,
);

export const keyPrefix = checkedText((value) => {
  if (value === '') return null;
  const example = "a valid prefix is empty, or folder names each followed by '/' (like 'raw/' or 'site-a/raw/'), with no leading '/', no '.' or '..' folder, no backslash or control character";
  if (value.startsWith('/')) return `'${value}' starts with '/'; ${example}`;
  // S3 keeps '.' and '..' as literal key characters but SigV4 clients normalise them out of the
  // path, so the signature no longer matches and the error blames the secret key.
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) return `'${value}' has a '.' or '..' folder; ${example}`;
  if (!value.endsWith('/')) return `'${value}' must end with '/'; ${example}`;
  if (value.includes('//')) return `'${value}' contains '//' (an empty folder name); ${example}`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
  if (/[\\\u0000-\u001f]/.test(value)) return `'${value}' contains a backslash or control character; ${example}`;
  return null;
});

export const pathText = checkedText((value) => (value.includes('\u0000') ? 'contains a NUL character; expected a file or folder path' : null));
