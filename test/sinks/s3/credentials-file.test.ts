// loadCredentialsFile on real files in a temp folder per test.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../agent/errors.ts';
import { redactText } from '../../../agent/log/logger.ts';
import { loadCredentialsFile } from '../../../agent/sinks/s3/credentials-file.ts';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKENvalue0123456789';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datapipe-credentials-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeCredentials(text: string, mode = 0o600): Promise<string> {
  const file = join(dir, 'aws-credentials.ini');
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
}

async function loadError(file: string): Promise<ConfigError> {
  const error: unknown = await loadCredentialsFile(file).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadCredentialsFile: valid files', () => {
  it.each([
    { layout: 'top level', text: `aws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n` },
    { layout: '[default]', text: `# from IAM\n[default]\naws_access_key_id=${KEY_ID}\naws_secret_access_key=${SECRET}\nregion = eu-west-1\n\n[other]\naws_access_key_id = AKIAOTHER\n` },
    // Key names as the AWS CLI reads them (configparser lower-cases them); validate agrees.
    { layout: 'upper-case key names', text: `[default]\nAWS_ACCESS_KEY_ID = ${KEY_ID}\nAWS_SECRET_ACCESS_KEY = ${SECRET}\n` },
    { layout: 'CRLF and quotes', text: `[default]\r\naws_access_key_id = "${KEY_ID}"\r\naws_secret_access_key = "${SECRET}"\r\n` },
  ])('reads the keys at the $layout', async ({ text }) => {
    const { credentials, warnings } = await loadCredentialsFile(await writeCredentials(text));
    expect(credentials.accessKeyId).toBe(KEY_ID);
    expect(credentials.secretAccessKey.reveal()).toBe(SECRET);
    expect(credentials.sessionToken).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('reads a session token, and keeps secret and token out of every printout', async () => {
    const file = await writeCredentials(`[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\naws_session_token = ${TOKEN}\n`);
    const { credentials } = await loadCredentialsFile(file);
    expect(credentials.sessionToken?.reveal()).toBe(TOKEN);
    const printed = `${JSON.stringify(credentials)} ${inspect(credentials)} ${String(credentials.secretAccessKey)}`;
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(TOKEN);
    // Registered with the logger: any line that still carried them would be masked.
    expect(redactText(`an SDK message echoing ${SECRET} and ${TOKEN}`)).toBe('an SDK message echoing **REDACTED** and **REDACTED**');
  });
});

describe('loadCredentialsFile: problems', () => {
  it('names the file, line and key when the secret is missing', async () => {
    const file = await writeCredentials(`[default]\naws_access_key_id = ${KEY_ID}\n`);
    const error = await loadError(file);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ severity: 'error', file, where: 'default.aws_secret_access_key' });
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/aws_secret_access_key: is missing/);
  });

  it('reports an empty key with its line number', async () => {
    const file = await writeCredentials(`aws_access_key_id =\naws_secret_access_key = ${SECRET}\n`);
    const error = await loadError(file);
    expect(error.problems[0]).toMatchObject({ where: 'aws_access_key_id', line: 1 });
    expect(error.message).toContain('is empty');
    expect(error.message).not.toContain(SECRET);
  });

  it('says which profiles it ignored when only other profiles have keys', async () => {
    const file = await writeCredentials(`[prod]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
    const error = await loadError(file);
    expect(error.problems.map((p) => p.where)).toEqual(['aws_access_key_id', 'aws_secret_access_key']);
    expect(error.message).toContain('[prod]');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses keys both at the top and under [default]', async () => {
    const file = await writeCredentials(`aws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n`);
    const error = await loadError(file);
    expect(error.message).toContain('both at the top of the file and under [default]');
  });

  it('explains a missing file', async () => {
    const error = await loadError(join(dir, 'nope.ini'));
    expect(error.problems[0]).toMatchObject({ where: 's3.credentials_file' });
    expect(error.message).toContain('does not exist');
  });

  it.runIf(process.platform !== 'win32')('warns, with the chmod to run, when others can read the file', async () => {
    const file = await writeCredentials(`aws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`, 0o644);
    const { credentials, warnings } = await loadCredentialsFile(file);
    expect(credentials.accessKeyId).toBe(KEY_ID);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`chmod 600 ${file}`);
    expect(warnings[0]).toContain('0644');
    expect(warnings[0]).not.toContain(SECRET);
  });
});
