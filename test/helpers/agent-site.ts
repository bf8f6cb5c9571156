// A complete customer site for integration tests: a temp folder with config.ini and a
// credentials file pointing at a real local S3-protocol server and the Open-Meteo stand-in, plus
// helpers to run the real CLI as a child process (the way a service manager does) and read what
// it left behind (logs, status, spool, bucket).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenMeteoStub } from './open-meteo-stub.ts';
import type { TestS3Server } from './s3-server.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AGENT_BIN = join(root, 'agent', 'cli', 'bin.ts');
export const BUCKET = 'open-meteo-source-bucket';

export interface SiteOptions {
  dir: string;
  s3: TestS3Server;
  openMeteo: OpenMeteoStub;
  locations?: string[];
  secretAccessKey?: string;
  schedule?: string;
  retrySchedule?: string;
  maxDumpMb?: number;
  extra?: string;
}

export interface Site {
  dir: string;
  configFile: string;
  storageDir: string;
  logDir: string;
}

export const DEFAULT_LOCATIONS = ['helsinki = 60.1695, 24.9354, Helsinki', 'jyvaskyla = 62.2415, 25.7209, Jyväskylä'];

export async function createSite(options: SiteOptions): Promise<Site> {
  const configFile = join(options.dir, 'config.ini');
  await writeFile(join(options.dir, 'credentials.ini'),
    `[default]\naws_access_key_id = ${options.s3.credentials.accessKeyId}\naws_secret_access_key = ${options.secretAccessKey ?? options.s3.credentials.secretAccessKey}\n`);
  await chmod(join(options.dir, 'credentials.ini'), 0o600);
  await writeFile(configFile, [
    '[customer]', 'id = acme-001', '',
    '[locations]', ...(options.locations ?? DEFAULT_LOCATIONS), '',
    '[open_meteo]', `url = ${options.openMeteo.url}`, 'variables = temperature_2m, wind_speed_10m, is_day',
    `schedule = ${options.schedule ?? '*/2 * * * * *'}`, 'jitter_seconds = 0', 'timeout_seconds = 5', '',
    '[s3]', `bucket = ${BUCKET}`, `region = ${options.s3.region}`, 'prefix = raw/', `endpoint = ${options.s3.endpoint}`,
    'credentials_file = credentials.ini', `retry_schedule = ${options.retrySchedule ?? '*/2 * * * * *'}`, '',
    '[storage]', 'dir = ./var', `max_dump_mb = ${options.maxDumpMb ?? 2048}`, '',
    '[logging]', 'dir = ./var/logs', 'level = debug', 'keep_days = 7', '',
    options.extra ?? '',
  ].join('\n'));
  return { dir: options.dir, configFile, storageDir: join(options.dir, 'var'), logDir: join(options.dir, 'var', 'logs') };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `datapipe-agent <args>` to completion. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [AGENT_BIN, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Every log line the agent wrote in the site's log folder. */
export async function readLogs(site: Site): Promise<string> {
  let files: string[];
  try {
    files = (await readdir(site.logDir)).filter((name) => name.endsWith('.log')).sort();
  } catch {
    return '';
  }
  const contents = await Promise.all(files.map((name) => readFile(join(site.logDir, name), 'utf8')));
  return contents.join('');
}

export async function listSpool(site: Site, folder: 'temp' | 'dump'): Promise<string[]> {
  try {
    return (await readdir(join(site.storageDir, folder))).sort();
  } catch {
    return [];
  }
}

/** All NDJSON records stored in the bucket, with the key each came from. */
export async function recordsInBucket(s3: TestS3Server): Promise<{ key: string; record: Record<string, unknown> }[]> {
  const objects = await s3.listObjects(BUCKET);
  return objects.flatMap((object) =>
    object.body.toString('utf8').split('\n').filter(Boolean).map((line) => ({ key: object.key, record: JSON.parse(line) as Record<string, unknown> })),
  );
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
