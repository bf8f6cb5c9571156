// Reads the S3 access keys from the file named by `s3.credentials_file`, once at start-up.
// The format is the AWS CLI's: INI with aws_access_key_id, aws_secret_access_key and an optional
// aws_session_token, either at the top of the file or under [default] (other profiles are
// ignored). The secret and the token become Secrets and are registered with the logger, so no
// log line, status file or error message can show them from here on.
import { stat, readFile } from 'node:fs/promises';
import { parse } from 'ini';
import { Secret } from '../../config/secret.ts';
import { ConfigError, formatConfigProblem, type ConfigProblem } from '../../errors.ts';
import { registerSecret } from '../../log/redact.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: Secret;
  sessionToken?: Secret;
}

const KEY_ID = 'aws_access_key_id';
const SECRET_KEY = 'aws_secret_access_key';
const SESSION_TOKEN = 'aws_session_token';

type Section = Record<string, unknown>;

/**
 * Loads the keys; throws ConfigError (naming the file, line and key) when the file cannot be read
 * or a key is missing. `warnings` are sentences for the log (e.g. a file other users can read).
 */
export async function loadCredentialsFile(file: string): Promise<{ credentials: S3Credentials; warnings: string[] }> {
  const text = await readCredentialsText(file);
  const parsed = parse(text) as Section;
  const { section, where } = pickSection(file, parsed);
  const lineOf = (key: string) => findKeyLine(text, key, where === '' ? undefined : 'default');
  const prefix = where === '' ? '' : `${where}.`;
  const otherProfiles = Object.keys(parsed).filter((name) => name !== 'default' && typeof parsed[name] === 'object');
  const profilesNote = otherProfiles.length === 0 ? '' : ` Only the top of the file and [default] are read; [${otherProfiles.join('], [')}] are ignored.`;

  const problems: ConfigProblem[] = [];
  const read = (key: string, required: boolean): string | undefined => {
    const value = section[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (value === undefined && !required) return undefined;
    const line = lineOf(key);
    const what = value === undefined ? 'is missing' : 'is empty';
    problems.push({
      severity: 'error',
      file,
      ...(line === undefined ? {} : { line }),
      where: `${prefix}${key}`,
      message: `${what}; the credentials file needs ${KEY_ID} and ${SECRET_KEY} (and ${SESSION_TOKEN} only for temporary credentials), written as "${key} = <value>" at the top of the file or under [default].${profilesNote}`,
    });
    return undefined;
  };
  const accessKeyId = read(KEY_ID, true);
  const secret = read(SECRET_KEY, true);
  const token = read(SESSION_TOKEN, false);
  if (problems.length > 0 || accessKeyId === undefined || secret === undefined) throw new ConfigError(problems);

  registerSecret(secret);
  registerSecret(token);
  const credentials: S3Credentials = { accessKeyId, secretAccessKey: new Secret(secret), ...(token ? { sessionToken: new Secret(token) } : {}) };
  return { credentials, warnings: await permissionWarnings(file) };
}

async function readCredentialsText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    const reason =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read by the agent (permission denied)' : `cannot be read (${code})`;
    throw new ConfigError(
      [{ severity: 'error', file, where: 's3.credentials_file', message: `the credentials file ${reason}; create it, or fix s3.credentials_file in config.ini, and make it readable by the account the agent runs as.` }],
      { cause },
    );
  }
}

/** The keys at the top level, else under [default]; both at once is ambiguous, so it is an error. */
function pickSection(file: string, parsed: Section): { section: Section; where: string } {
  const topLevel = Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === 'string'));
  const defaults = parsed['default'];
  const defaultSection = defaults !== null && typeof defaults === 'object' ? (defaults as Section) : undefined;
  const hasKeys = (section: Section | undefined) => section !== undefined && (KEY_ID in section || SECRET_KEY in section);
  if (hasKeys(topLevel) && hasKeys(defaultSection)) {
    throw new ConfigError([
      {
        severity: 'error',
        file,
        where: 'default',
        message: `the keys are set both at the top of the file and under [default]; keep one set (the agent would not know which one is current).`,
      },
    ]);
  }
  if (hasKeys(topLevel) || !defaultSection) return { section: topLevel, where: '' };
  return { section: defaultSection, where: 'default' };
}

/** 1-based line of `key = ...`, at the top level or inside [section]. */
function findKeyLine(text: string, key: string, section: string | undefined): number | undefined {
  let current: string | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) current = header[1]?.trim();
    else if (current === section && new RegExp(`^\\s*${key}\\s*=`).test(line)) return index + 1;
  }
  return undefined;
}

async function permissionWarnings(file: string): Promise<string[]> {
  if (process.platform === 'win32') return []; // ACLs, not mode bits: the installer restricts the folder.
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  return [
    formatConfigProblem({
      severity: 'warning',
      file,
      where: 's3.credentials_file',
      message: `the credentials file can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${file}\` so only the agent's account can read the keys.`,
    }),
  ];
}
