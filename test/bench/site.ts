// A customer site for the benchmarks: config.ini + credentials.ini in a temp folder, pointed at
// the local S3 server and the Open-Meteo stand-in, with the settings a customer would run
// (log level info, not the tests' debug: per-file debug lines would slow the agent down), and a
// dump backlog written with the agent's own envelope and file-naming code.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildObservation, toNdjson } from '../../agent/envelope/records.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { AGENT_VERSION } from '../../agent/version.ts';
import type { TestS3Server } from '../helpers/s3-server.ts';

export const BENCH_BUCKET = 'open-meteo-source-bucket';
export const BENCH_CUSTOMER = 'acme-001';
export const AGENT_PREFIX = 'raw/';

export interface BenchSite {
  dir: string;
  configFile: string;
  storageDir: string;
  dumpDir: string;
}

export interface SiteSettings {
  s3: TestS3Server;
  openMeteoUrl: string;
  locations: number;
  /** Cron; default: never within a benchmark (the 1st of January at 00:00). */
  schedule?: string;
  retrySchedule?: string;
}

/** `count` locations spread over the globe, valid for Open-Meteo (|lat| <= 90, |lon| <= 180). */
export function locationLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const latitude = (-60 + ((i * 7.31) % 130)).toFixed(4);
    const longitude = (-179 + ((i * 13.17) % 358)).toFixed(4);
    return `loc-${String(i).padStart(4, '0')} = ${latitude}, ${longitude}, Site ${i}`;
  });
}

export async function createBenchSite(dir: string, settings: SiteSettings): Promise<BenchSite> {
  await mkdir(dir, { recursive: true });
  const credentials = join(dir, 'credentials.ini');
  await writeFile(credentials,
    `[default]\naws_access_key_id = ${settings.s3.credentials.accessKeyId}\naws_secret_access_key = ${settings.s3.credentials.secretAccessKey}\n`);
  await chmod(credentials, 0o600);
  const configFile = join(dir, 'config.ini');
  await writeFile(configFile, [
    '[customer]', `id = ${BENCH_CUSTOMER}`, '',
    '[locations]', ...locationLines(settings.locations), '',
    '[open_meteo]', `url = ${settings.openMeteoUrl}`, 'variables = temperature_2m, wind_speed_10m, is_day',
    `schedule = ${settings.schedule ?? '0 0 1 1 *'}`, 'jitter_seconds = 0', 'timeout_seconds = 30', '',
    '[s3]', `bucket = ${BENCH_BUCKET}`, `region = ${settings.s3.region}`, `prefix = ${AGENT_PREFIX}`,
    `endpoint = ${settings.s3.endpoint}`, 'credentials_file = credentials.ini', `retry_schedule = ${settings.retrySchedule ?? '*/5 * * * *'}`, '',
    '[storage]', 'dir = ./var', 'max_dump_mb = 2048', '',
    '[logging]', 'dir = ./var/logs', 'level = info', 'keep_days = 7', '',
  ].join('\n'));
  const storageDir = join(dir, 'var');
  return { dir, configFile, storageDir, dumpDir: join(storageDir, 'dump') };
}

export interface BacklogFile {
  name: string;
  body: Buffer;
}

/**
 * `count` one-record cycle files as a one-minute collection during an outage leaves them: one
 * observation each, a distinct record id each, named by the agent's own cycleFileName.
 */
export function buildBacklog(count: number): BacklogFile[] {
  const start = Date.UTC(2026, 10, 14, 0, 0, 0);
  const location = { id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 };
  const agent = { version: AGENT_VERSION, host: 'bench-host' };
  return Array.from({ length: count }, (_, i) => {
    const cycleStart = new Date(start + i * 60_000);
    const observedAt = new Date(start + i * 60_000);
    const record = buildObservation({
      customerId: BENCH_CUSTOMER,
      location,
      observedAt,
      collectedAt: new Date(cycleStart.getTime() + 1_200),
      agent,
      payload: openMeteoElement(observedAt, i),
    });
    const body = Buffer.from(toNdjson([record]));
    return { name: cycleFileName(BENCH_CUSTOMER, cycleStart, body), body };
  });
}

function openMeteoElement(observedAt: Date, i: number): Record<string, unknown> {
  return {
    latitude: 60.16, longitude: 24.94, generationtime_ms: 0.05, utc_offset_seconds: 0, timezone: 'GMT',
    timezone_abbreviation: 'GMT', elevation: 9,
    current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', wind_speed_10m: 'km/h', is_day: '' },
    current: { time: observedAt.toISOString().slice(0, 16), interval: 900, temperature_2m: -1.3 + (i % 40) / 10, wind_speed_10m: 14.2, is_day: 1 },
  };
}

/** Writes the backlog's files into `dir` (plain writes: setting up is not what is measured). */
export async function writeBacklog(dir: string, files: BacklogFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const batch = 256;
  for (let i = 0; i < files.length; i += batch) {
    await Promise.all(files.slice(i, i + batch).map((file) => writeFile(join(dir, file.name), file.body)));
  }
}
