// Doctor's checks on this machine: the config file, the credentials file, the folders (as this
// account and, when run as root on Linux, as the service account), and free disk space.
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { validateConfigFile, checkFolderWritable } from '../config/load.ts';
import { findNearestExisting } from '../config/folders.ts';
import type { AgentConfig } from '../config/types.ts';
import { ConfigError, formatConfigProblem } from '../errors.ts';
// The parser alone, not sink.ts: reading the file must not load the AWS SDK.
import { loadCredentialsFile, type S3Credentials } from '../sinks/s3/credentials-file.ts';
import { createSpool } from '../spool/spool.ts';
import { fail, pass, warn, type CheckResult } from './types.ts';

const MIB = 1024 * 1024;
/** Room for logs, temp/ and state/ beside the dump. */
export const DISK_HEADROOM_MB = 256;

export async function checkConfig(file: string): Promise<{ result: CheckResult; config?: AgentConfig }> {
  const title = 'Config file is valid';
  const { config, problems } = await validateConfigFile(file);
  const lines = problems.map(formatConfigProblem);
  const fixRun = `Fix each line listed, then run 'datapipe-agent validate -c ${resolve(file)}'.`;
  if (!config) return { result: fail('config', title, lines.join('\n'), fixRun) };
  const summary = `${config.file}: customer ${config.customer.id}, ${config.locations.length} location(s)`;
  if (lines.length > 0) return { result: warn('config', title, `${summary}; warnings:\n${lines.join('\n')}`, fixRun), config };
  return { result: pass('config', title, summary), config };
}

export async function checkCredentials(config: AgentConfig): Promise<{ result: CheckResult; credentials?: S3Credentials; usable: boolean }> {
  const title = 'S3 credentials';
  const file = config.s3.credentialsFile;
  if (file === undefined) {
    return { result: pass('s3.credentials', title, 'no credentials_file: the AWS default chain is used (environment, profile, instance role); the canary upload below proves it works'), usable: true };
  }
  try {
    const { credentials, warnings } = await loadCredentialsFile(file);
    const detail = `${file}: access key id ${maskKeyId(credentials.accessKeyId)}${credentials.sessionToken ? ' with a session token (temporary credentials)' : ''}`;
    if (warnings.length > 0) return { result: warn('s3.credentials', title, `${detail}; ${warnings.join(' ')}`, `Restrict the file to the service account (Linux: chmod 600 ${file}).`), credentials, usable: true };
    return { result: pass('s3.credentials', title, detail), credentials, usable: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { result: fail('s3.credentials', title, error.problems.map(formatConfigProblem).join('\n'), `Fix the credentials file ${file}: it needs aws_access_key_id and aws_secret_access_key.`), usable: false };
  }
}

/** The storage folders and the log folder, as this account and (root on Linux) as the service account. */
export async function checkFolders(config: AgentConfig, serviceUser: string): Promise<CheckResult[]> {
  const groups = [
    { id: 'folders.storage', title: 'Storage folders writable (temp, dump, state)', dirs: [config.storage.dir, ...['temp', 'dump', 'state'].map((n) => join(config.storage.dir, n))] },
    { id: 'folders.logs', title: 'Log folder writable', dirs: [config.logging.dir] },
  ];
  const asService = await serviceAccountToCheck(serviceUser);
  const results: CheckResult[] = [];
  for (const group of groups) {
    const problems: string[] = [];
    for (const dir of group.dirs) {
      const problem = await checkFolderWritable(dir);
      if (problem) problems.push(problem);
      else if (asService) {
        const denied = await probeAsUser(asService, dir);
        if (denied) problems.push(denied);
      }
    }
    const who = asService ? `this account and the service account ${asService}` : 'this account';
    const fix = asService
      ? `Give ${asService} write access (e.g. chown -R ${asService}: ${group.dirs[0]}), or re-run the installer, which sets the owners.`
      : 'Give the account the agent runs as write access, or change the folder in config.ini.';
    results.push(problems.length === 0
      ? pass(group.id, group.title, `${group.dirs[0]} is writable by ${who}`)
      : fail(group.id, group.title, problems.join('\n'), fix));
  }
  return results;
}

/** Free space on the storage folder's file system, against what the dump may still take. */
export async function checkDisk(config: AgentConfig): Promise<CheckResult> {
  const title = 'Free disk space for the dump';
  const found = await findNearestExisting(resolve(config.storage.dir));
  if ('problem' in found) return warn('disk', title, found.problem, 'Check the storage folder\'s drive by hand.');
  const existing = found.path;
  let freeBytes: number;
  try {
    const fs = await statfs(existing);
    freeBytes = Number(fs.bavail) * Number(fs.bsize);
  } catch (error) {
    return warn('disk', title, `cannot read free space of ${existing} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'Check the storage folder\'s drive by hand.');
  }
  const dumpBytes = (await createSpool(config.storage.dir).dumpUsage().catch(() => ({ bytes: 0 }))).bytes;
  const roomMb = Math.max(0, config.storage.maxDumpMb - dumpBytes / MIB);
  const freeMb = freeBytes / MIB;
  const detail = `${freeMb.toFixed(0)} MB free on the file system of ${existing}; the dump holds ${(dumpBytes / MIB).toFixed(1)} MB of max_dump_mb ${config.storage.maxDumpMb}`;
  const fix = `Free space on that drive, or lower [storage] max_dump_mb to at most ${Math.max(1, Math.floor(freeMb - DISK_HEADROOM_MB))}, or move [storage] dir to a larger drive.`;
  // FAIL: the disk fills up long before the dump reaches its cap (or there is hardly room for logs).
  if (freeMb < Math.max(DISK_HEADROOM_MB / 4, config.storage.maxDumpMb * 0.1)) return fail('disk', title, `${detail}: the disk would fill up long before the dump cap.`, fix);
  if (freeMb < roomMb + DISK_HEADROOM_MB) return warn('disk', title, `${detail}: a long S3 outage could fill the disk before the dump cap pauses collection.`, fix);
  return pass('disk', title, detail);
}

/** The service account to probe as: only when root on Linux and the account exists. */
async function serviceAccountToCheck(user: string): Promise<string | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const exists = await run('id', ['-u', user]);
  return exists.code === 0 ? user : undefined;
}

/** null when `user` may write into `dir` (or its nearest existing parent), else a sentence. */
async function probeAsUser(user: string, dir: string): Promise<string | null> {
  const found = await findNearestExisting(resolve(dir));
  if ('problem' in found) return found.problem;
  const target = found.path;
  // access(2) as that user: mode bits, ACLs, read-only mounts and every parent's search permission.
  const result = await run('runuser', ['-u', user, '--', 'test', '-w', target, '-a', '-x', target]);
  if (result.code === 0) return null;
  if (result.code === 1) return `${target} is not writable by the service account ${user}`;
  return `could not check ${target} as ${user} (runuser: ${result.output.trim() || `exit ${result.code}`})`;
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** AKIA…0001: enough to tell which key it is, not the whole identifier. */
export function maskKeyId(keyId: string): string {
  return keyId.length <= 8 ? '****' : `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
}
