// A log folder that cannot be written must never stop the agent. The failures are real: today's
// log file is a symlink to /dev/full (every write fails with ENOSPC), or, when this runs as root,
// the log folder is a 64 KiB tmpfs filled to the last byte.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { LogEvents } from '../../agent/log/events.ts';
import { logFilePath, ResilientFileTransport } from '../../agent/log/resilient-file.ts';
import { BUCKET, createSite, recordsInBucket, runCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const LOGGER = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'log', 'logger.ts');
const EVENTS = resolve(dirname(LOGGER), 'events.ts');
const onLinux = process.platform === 'linux';
const canMount = onLinux && process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

/** A child process that logs through the real logger into `dir` and says whether it lived. */
function logInChild(dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const { LogEvents } = await import(${JSON.stringify(EVENTS)});
    const log = createLogger({ dir: ${JSON.stringify(dir)}, level: 'debug', keepDays: 7, console: false });
    for (let i = 0; i < 20; i += 1) log.error(LogEvents.uploadRefused, { i });
    await new Promise((r) => setTimeout(r, 300));
    log.info(LogEvents.cycleFinished, { after: 'failure' });
    await log.close();
    console.log('still collecting');`;
  return new Promise((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

function failureLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes(`event=${LogEvents.logFileFailed.name}`));
}

describe('a log file that cannot be written', () => {
  const tempDir = useTempDirs();

  it.runIf(onLinux)('does not end the process: lines go to stderr and the failure is said once (ENOSPC from /dev/full)', async () => {
    const dir = await tempDir();
    await symlink('/dev/full', logFilePath(dir, new Date()));
    const result = await logInChild(dir);
    expect(result.stderr).not.toContain('Unhandled');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('still collecting');
    expect(failureLines(result.stderr)).toHaveLength(1);
    expect(failureLines(result.stderr)[0]).toContain('ENOSPC');
    expect(result.stderr).toContain(`${LogEvents.cycleFinished.message} after=failure event=${LogEvents.cycleFinished.name}`);
  });

  it.runIf(onLinux)('does not stop `once` from collecting and uploading', async () => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    const openMeteo = await startOpenMeteoStub();
    try {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo });
      await mkdir(site.logDir, { recursive: true });
      await symlink('/dev/full', logFilePath(site.logDir, new Date()));
      const result = await runCli(['once', '-c', site.configFile]);
      expect(result.code).toBe(0);
      expect(failureLines(result.stderr)).toHaveLength(1);
      expect((await recordsInBucket(s3)).map((entry) => entry.record.record_type).sort()).toEqual(['agent_status', 'observation', 'observation']);
    } finally {
      await openMeteo.close();
      await s3.close();
    }
  });

  describe.runIf(canMount)('on a full filesystem (tmpfs)', () => {
    let mounted: string | undefined;
    afterEach(async () => {
      if (mounted) spawnSync('umount', [mounted]);
      mounted = undefined;
    });

    it('keeps the agent running while the log disk is full', async () => {
      const dir = await tempDir();
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status).toBe(0);
      mounted = dir;
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
      const result = await logInChild(dir);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('still collecting');
      expect(failureLines(result.stderr)).toHaveLength(1);
      expect(failureLines(result.stderr)[0]).toContain('ENOSPC');
    });
  });

  it.runIf(onLinux)('goes back to the file once it can be written, and says so once', async () => {
    const dir = await tempDir();
    // The rotating stream names today's file from the real clock; the retry timing uses this one.
    const start = new Date();
    let clock = start;
    const file = logFilePath(dir, clock);
    await symlink('/dev/full', file);
    const stderr: string[] = [];
    const transport = new ResilientFileTransport({ dir, keepDays: 7, now: () => clock, retryMs: 30_000, writeStderr: (text) => void stderr.push(text) });
    const logger = winston.createLogger({ format: winston.format.printf((info) => `${String(info.level)} ${String(info.message)}`), transports: [transport] });
    logger.info('first');
    await waitUntil(() => !transport.healthy);
    logger.info('while failed');
    await unlink(file); // space is back: today's file is an ordinary file again
    await writeFile(file, '');
    clock = new Date(start.getTime() + 20_000);
    logger.info('too early to try again');
    expect(transport.healthy).toBe(false);
    clock = new Date(start.getTime() + 31_000);
    logger.info('after recovery');
    expect(transport.healthy).toBe(true);
    logger.info('and later');
    await new Promise<void>((done) => {
      logger.on('finish', done);
      logger.end();
    });
    const text = await readFile(file, 'utf8');
    // Whether 'first' itself reached the file before the stream failed depends on timing; the
    // recovery line must count exactly the lines that went to standard error instead.
    const fallbackLines = stderr.filter((line) => line.startsWith('info ')).length;
    expect(fallbackLines).toBeGreaterThanOrEqual(2);
    const recovered = LogEvents.logFileRecovered(fallbackLines, start.toISOString());
    expect(text.startsWith(`${clock.toISOString()} info  log: ${recovered.message} dir=`), text.split('\n')[0]).toBe(true);
    expect(text.split('\n')[0]).toMatch(new RegExp(` event=${recovered.name}$`));
    expect(text).toContain('info after recovery\ninfo and later\n');
    expect(stderr.filter((line) => line.includes(`event=${LogEvents.logFileFailed.name}`)), stderr.join('')).toHaveLength(1);
    expect(stderr.filter((line) => line.includes(`event=${LogEvents.logFileRecovered.name}`))).toHaveLength(1);
    expect(stderr).toContain('info while failed\n');
    await rm(dir, { recursive: true, force: true });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}
