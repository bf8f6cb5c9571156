// The AWS credentials file named by s3.credentials_file, read ONE way: `validate` (config/rules.ts),
// `run` and `doctor` (sinks/s3/credentials-file.ts) and the support bundle all go through here, so
// they cannot disagree about what the file holds. No AWS SDK here: validate and doctor import it.
//
// The format is the AWS CLI's: INI with aws_access_key_id, aws_secret_access_key and an optional
// aws_session_token, at the top of the file or under [default] (other profiles are ignored; both
// places at once is refused as ambiguous). Lines are read by the project's own scanner
// (ini-lines.ts), whose comment rule (';' or '#' at the start or after whitespace) is the AWS SDK's
// (@smithy/shared-ini-file-loader parseIni); quoted values are taken literally without the quotes.
// Key names are matched case-insensitively, as the AWS CLI (Python configparser) does; when a key
// appears twice the last one counts, as in the SDK.
import { readFile, stat } from 'node:fs/promises';
import { scanIni, type IniEntry } from './ini-lines.ts';

export const KEY_ID = 'aws_access_key_id';
export const SECRET_KEY = 'aws_secret_access_key';
export const SESSION_TOKEN = 'aws_session_token';
const MAX_BYTES = 1024 * 1024;

export interface CredentialsFileProblem {
  /** `s3.credentials_file` for the file as a whole, else the place in the file (`default.aws_secret_access_key`). */
  where: string;
  /** 1-based line in the credentials file, when the problem has one. */
  line?: number;
  message: string;
  /** `missing` for a key that is absent or empty: validate sums these up in one sentence.
   *  `syntax`: the key's line cannot be read (an unclosed quote). */
  kind: 'file' | 'missing' | 'ambiguous' | 'syntax';
}

export interface CredentialsFileContent {
  /** Where the keys are read from: '' (the top of the file) or 'default'. */
  section: '' | 'default';
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Errors: when there is one, the keys above must not be used. */
  problems: CredentialsFileProblem[];
  /** Key names per section (`(top of file)`, `[name]`), for the support bundle: never values. */
  keyNames: Record<string, string[]>;
  /** Every value in the file, as read and as written: only to mask them wherever they appear. */
  values: string[];
}

/** Reads and parses the file; a file that cannot be read gives one problem at s3.credentials_file. */
export async function readCredentialsFile(file: string): Promise<CredentialsFileContent> {
  const fix = 'create it with aws_access_key_id and aws_secret_access_key lines, or fix s3.credentials_file in config.ini (without it the AWS default chain is used: environment, profile, instance role)';
  const unreadable = (message: string): CredentialsFileContent => ({ section: '', problems: [{ where: 's3.credentials_file', kind: 'file', message }], keyNames: {}, values: [] });
  try {
    const info = await stat(file);
    if (info.isDirectory()) return unreadable(`${file} is a folder, not a credentials file; ${fix}`);
    if (info.size > MAX_BYTES) return unreadable(`${file} is ${info.size} bytes, too large for a credentials file; check the path`);
    return parseCredentialsFile(await readFile(file), file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' || code === 'ENOTDIR') return unreadable(`the credentials file ${file} does not exist; ${fix}`);
    if (code === 'EACCES' || code === 'EPERM') return unreadable(`the credentials file ${file} cannot be read by the agent (permission denied); make it readable by the account the agent runs as`);
    return unreadable(`cannot read the credentials file ${file} (${code}); make it readable by the account the agent runs as`);
  }
}

/** `file` only names the file in messages. */
export function parseCredentialsFile(bytes: Buffer, file: string): CredentialsFileContent {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { section: '', problems: [{ where: 's3.credentials_file', kind: 'file', message: `${file} is saved as UTF-16 ("Unicode"); save it as UTF-8 (Notepad: File > Save as > Encoding: UTF-8)` }], keyNames: {}, values: [] };
  }
  const text = bytes.toString('utf8');
  const scanned = scanIni(text, { allowTopLevelKeys: true });
  const sections = scanned.sections;
  const unreadableLines = new Map(scanned.problems.map((problem) => [problem.where.toLowerCase(), problem]));
  const merged = new Map<string, Map<string, IniEntry>>();
  for (const section of sections) {
    const entries = merged.get(section.name) ?? new Map<string, IniEntry>();
    for (const entry of section.entries) entries.set(entry.key.toLowerCase(), entry);
    merged.set(section.name, entries);
  }
  const keyNames: Record<string, string[]> = {};
  for (const [name, entries] of merged) if (entries.size > 0) keyNames[name === '' ? '(top of file)' : `[${name}]`] = [...entries.values()].map((entry) => entry.key);
  const content: CredentialsFileContent = { section: '', problems: [], keyNames, values: allValues(text, merged) };

  const hasKeys = (entries: Map<string, IniEntry> | undefined) => entries !== undefined && (entries.has(KEY_ID) || entries.has(SECRET_KEY));
  const top = merged.get('');
  const defaults = merged.get('default');
  if (hasKeys(top) && hasKeys(defaults)) {
    content.problems.push({ where: 'default', kind: 'ambiguous', line: sections.find((section) => section.name === 'default')?.line, message: 'the keys are set both at the top of the file and under [default]; keep one set (the agent would not know which one is current).' });
    return content;
  }
  content.section = hasKeys(top) || defaults === undefined ? '' : 'default';
  const chosen = merged.get(content.section) ?? new Map<string, IniEntry>();
  const others = [...merged.keys()].filter((name) => name !== '' && name !== 'default' && sections.some((s) => s.name === name));
  const profilesNote = others.length === 0 ? '' : ` Only the top of the file and [default] are read; [${others.join('], [')}] are ignored.`;
  const read = (key: string, required: boolean): string | undefined => {
    const entry = chosen.get(key);
    if (entry !== undefined && entry.value.trim() !== '') return entry.value.trim();
    const where = content.section === '' ? key : `${content.section}.${key}`;
    const unreadable = entry === undefined ? unreadableLines.get(where) : undefined;
    if (unreadable) {
      content.problems.push({ where, kind: 'syntax', line: unreadable.line, message: unreadable.message });
      return undefined;
    }
    if (entry === undefined && !required) return undefined;
    content.problems.push({
      where,
      kind: 'missing',
      ...(entry === undefined ? {} : { line: entry.line }),
      message: `${entry === undefined ? 'is missing' : 'is empty'}; the credentials file needs ${KEY_ID} and ${SECRET_KEY} (and ${SESSION_TOKEN} only for temporary credentials), written as "${key} = <value>" at the top of the file or under [default].${profilesNote}`,
    });
    return undefined;
  };
  const accessKeyId = read(KEY_ID, true);
  const secretAccessKey = read(SECRET_KEY, true);
  const sessionToken = read(SESSION_TOKEN, false);
  if (accessKeyId !== undefined) content.accessKeyId = accessKeyId;
  if (secretAccessKey !== undefined) content.secretAccessKey = secretAccessKey;
  if (sessionToken !== undefined) content.sessionToken = sessionToken;
  return content;
}

/** The values as the scanner read them, and each line's text after '=' as written (with and
 *  without quotes): a line the scanner refused (an unclosed quote) must still be masked. */
function allValues(text: string, merged: Map<string, Map<string, IniEntry>>): string[] {
  const values = [...merged.values()].flatMap((entries) => [...entries.values()].map((entry) => entry.value.trim()));
  for (const line of text.split(/\r\n|\n|\r/)) {
    const written = /=\s*(.+?)\s*$/.exec(line)?.[1];
    if (written) values.push(written, written.replace(/^["']|["']$/g, ''));
  }
  return values.filter((value) => value !== '');
}

/** The one warning for a credentials file other local accounts can read (docs/support-guide.md
 *  explains this text); undefined on Windows, where ACLs, not mode bits, protect it (the
 *  installer restricts the folder). */
export async function credentialsModeWarning(file: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `the credentials file can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${file}\` so only the agent's account can read the keys.`;
}
