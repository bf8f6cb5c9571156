// Reads the S3 access keys from the file named by `s3.credentials_file`, once at start-up, with the
// one reader of that file (config/credentials-file.ts, which `validate` uses too). The secret and
// the token become Secrets and are registered with the logger, so no log line, status file or
// error message can show them from here on. No AWS SDK import: doctor loads keys through here.
import { credentialsModeWarning, readCredentialsFile } from '../../config/credentials-file.ts';
import { Secret } from '../../config/secret.ts';
import { ConfigError, formatConfigProblem } from '../../errors.ts';
import { registerSecret } from '../../log/redact.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: Secret;
  sessionToken?: Secret;
}

/**
 * Loads the keys; throws ConfigError (naming the file, line and key) when the file cannot be read
 * or a key is missing. `warnings` are sentences for the log (e.g. a file other users can read).
 */
export async function loadCredentialsFile(file: string): Promise<{ credentials: S3Credentials; warnings: string[] }> {
  const content = await readCredentialsFile(file);
  const { accessKeyId, secretAccessKey: secret, sessionToken: token } = content;
  if (content.problems.length > 0 || accessKeyId === undefined || secret === undefined) {
    throw new ConfigError(content.problems.map((problem) => ({ severity: 'error', file, ...(problem.line === undefined ? {} : { line: problem.line }), where: problem.where, message: problem.message })));
  }
  registerSecret(secret);
  registerSecret(token);
  const credentials: S3Credentials = { accessKeyId, secretAccessKey: new Secret(secret), ...(token ? { sessionToken: new Secret(token) } : {}) };
  const warning = await credentialsModeWarning(file);
  return { credentials, warnings: warning === undefined ? [] : [formatConfigProblem({ severity: 'warning', file, where: 's3.credentials_file', message: warning })] };
}
