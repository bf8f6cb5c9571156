// The customer site the campaign runs the agent on: a temp folder with config.ini and a
// credentials file (a known secret, so the logs can be searched for it), the storage folder on a
// small tmpfs where the machine allows mounting one (so "disk full" is a real ENOSPC), the log
// folder beside it on a tmpfs of its own (so a full storage disk does not also eat the evidence,
// and a full log disk can be played separately from a full data disk), and a libfaketime offset
// file through which the campaign moves the agent's wall clock.
//
// Lifecycle: createSite() -> the campaign runs -> site.dispose() unmounts and removes everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUCKET = 'faults-campaign-bucket';
export const CUSTOMER_ID = 'acme-faults';
/** The secret access key the agent is given; it must never appear in a log, status or output. */
export const CAMPAIGN_CREDENTIALS = { accessKeyId: 'AKIAFAULTSCAMPAIGN01', secretAccessKey: 'faults-campaign-SECRET-4f7c2a91d0e8b35c' };
export const LOCATIONS = [
  { id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 },
  { id: 'tampere', name: 'Tampere', latitude: 61.4978, longitude: 23.761 },
  { id: 'oulu', name: 'Oulu', latitude: 65.0121, longitude: 25.4651 },
  { id: 'turku', name: 'Turku', latitude: 60.4518, longitude: 22.2666 },
  { id: 'kuopio', name: 'Kuopio', latitude: 62.8924, longitude: 27.677 },
];
const TMPFS_SIZE = '24m';
/** Room for the logs of a 25-minute soak at debug level, many times over. */
const LOG_TMPFS_SIZE = '64m';
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export interface Site {
  dir: string;
  configFile: string;
  storageDir: string;
  logDir: string;
  /** Why the storage folder is a plain folder, when no tmpfs could be mounted. */
  tmpfsUnavailable?: string;
  /** Why the log folder is a plain folder, when no tmpfs could be mounted. */
  logTmpfsUnavailable?: string;
  /** Environment that puts the agent under libfaketime, or undefined when it is not installed. */
  clockEnv?: NodeJS.ProcessEnv;
  /** Moves the agent's wall clock to real time + `offsetSeconds` (needs clockEnv). */
  setClockOffset(offsetSeconds: number): Promise<void>;
  /** Fills the storage disk to the last byte (needs the tmpfs); returns the bytes used. */
  fillDisk(): Promise<number>;
  freeDisk(): Promise<void>;
  /** The same for the log disk (needs its tmpfs). */
  fillLogDisk(): Promise<number>;
  freeLogDisk(): Promise<void>;
  dispose(keep: boolean): Promise<void>;
}

export async function createSite(endpoints: { s3: string; region: string; openMeteo: string }): Promise<Site> {
  const dir = await mkdtemp(join(tmpdir(), 'datapipe-faults-'));
  const storageDir = join(dir, 'storage');
  const logDir = join(dir, 'logs');
  await mkdir(storageDir);
  await mkdir(logDir);
  const tmpfsUnavailable = mountTmpfs(storageDir, TMPFS_SIZE);
  const logTmpfsUnavailable = mountTmpfs(logDir, LOG_TMPFS_SIZE);
  const configFile = join(dir, 'config.ini');
  await writeCredentials(dir);
  await writeFile(configFile, renderConfig(endpoints));
  const clockFile = join(dir, 'clock-offset');
  const ballast = join(storageDir, 'ballast.bin');
  const logBallast = join(logDir, '.ballast.bin');
  const clockEnv = existsSync(FAKETIME_LIBRARY)
    ? { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_CACHE_DURATION: '1' }
    : undefined;
  const setClockOffset = (offsetSeconds: number) => writeFile(clockFile, `${offsetSeconds >= 0 ? '+' : '-'}${Math.abs(offsetSeconds)}s\n`);
  await setClockOffset(0);
  return {
    dir,
    configFile,
    storageDir,
    logDir,
    ...(tmpfsUnavailable ? { tmpfsUnavailable } : {}),
    ...(logTmpfsUnavailable ? { logTmpfsUnavailable } : {}),
    ...(clockEnv ? { clockEnv } : {}),
    setClockOffset,
    fillDisk: () => fillToEnospc(ballast),
    freeDisk: () => unlink(ballast).catch(() => undefined),
    fillLogDisk: () => fillToEnospc(logBallast),
    freeLogDisk: () => unlink(logBallast).catch(() => undefined),
    async dispose(keep) {
      if (!tmpfsUnavailable) spawnSync('umount', ['-l', storageDir]);
      // The log tmpfs goes with the unmount: a kept site keeps a copy of its logs on disk.
      if (keep && !logTmpfsUnavailable) spawnSync('cp', ['-a', logDir, join(dir, 'logs-kept')]);
      if (!logTmpfsUnavailable) spawnSync('umount', ['-l', logDir]);
      if (!keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Undefined when mounted; otherwise the reason it could not be. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  return `mount -t tmpfs failed (${(result.stderr || result.error?.message || `exit ${result.status}`).trim()}); needs root or CAP_SYS_ADMIN`;
}

async function writeCredentials(dir: string): Promise<void> {
  const file = join(dir, 'credentials.ini');
  await writeFile(file, `[default]\naws_access_key_id = ${CAMPAIGN_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${CAMPAIGN_CREDENTIALS.secretAccessKey}\n`);
  await chmod(file, 0o600);
}

function renderConfig(endpoints: { s3: string; region: string; openMeteo: string }): string {
  return [
    '[customer]', `id = ${CUSTOMER_ID}`, '',
    '[locations]', ...LOCATIONS.map((l) => `${l.id} = ${l.latitude}, ${l.longitude}, ${l.name}`), '',
    // Every second: many cycles per minute, so faults land in every phase of a cycle.
    '[open_meteo]', `url = ${endpoints.openMeteo}`, 'variables = temperature_2m, wind_speed_10m, is_day',
    'schedule = * * * * * *', 'jitter_seconds = 0', 'timeout_seconds = 4', '',
    '[s3]', `bucket = ${BUCKET}`, `region = ${endpoints.region}`, 'prefix = raw/', `endpoint = ${endpoints.s3}`,
    'credentials_file = credentials.ini', 'retry_schedule = */3 * * * * *', '',
    '[storage]', 'dir = ./storage', 'max_dump_mb = 2048', '',
    '[logging]', 'dir = ./logs', 'level = debug', 'keep_days = 7', '',
  ].join('\n');
}

/** Writes zeros until the file system says ENOSPC; the ballast stays until freeDisk(). */
async function fillToEnospc(path: string): Promise<number> {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  let written = 0;
  try {
    for (;;) {
      const { bytesWritten } = await handle.write(chunk, 0, chunk.length);
      written += bytesWritten;
      if (bytesWritten < chunk.length) break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  // The last partial blocks: small writes until not even one byte fits.
  const tail = await open(path, 'a');
  try {
    for (;;) written += (await tail.write(Buffer.alloc(512))).bytesWritten;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await tail.close();
  }
  return written;
}
