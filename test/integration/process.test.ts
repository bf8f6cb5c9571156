// The agent as the OS service manager runs it: `run` as a child process, killed with -9 mid-cycle,
// stopped with SIGTERM, started twice on the same storage folder.
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, listSpool, readLogs, recordsInBucket, runCli, startCli, waitFor, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('the agent as a service process', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    openMeteo = await startOpenMeteoStub();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    await openMeteo.close();
    await s3.close();
  });

  function startRun(site: Site): ChildProcess {
    const child = startCli(['run', '-c', site.configFile]);
    children.push(child);
    return child;
  }

  it('loses nothing when killed with -9 while an upload is in flight', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    s3.injectFaults({ kind: 'hang' });
    const child = startRun(site);
    // The upload is in flight once its request reached the (hanging) server, not when the file is written.
    await waitFor(async () => s3.putRequests >= 1 && (await listSpool(site, 'temp')).some((name) => name.endsWith('.ndjson')), 30_000, 'an upload in flight');
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');
    const stranded = (await listSpool(site, 'temp')).filter((name) => name.endsWith('.ndjson'));
    expect(stranded.length).toBeGreaterThan(0);

    const drained = await runCli(['drain', '-c', site.configFile]);
    expect(drained.code).toBe(ExitCode.ok);
    expect(await listSpool(site, 'temp')).toEqual([]);
    expect(await listSpool(site, 'dump')).toEqual([]);
    const keys = (await s3.listObjects(BUCKET)).map((object) => object.key.split('/').pop());
    for (const name of stranded) expect(keys).toContain(name);
    expect(await readLogs(site)).toMatch(logLine('spool', LogEvents.tempRecovered));
    // Every observation the stand-in served is in the bucket, once.
    const ids = (await recordsInBucket(s3)).filter((entry) => entry.record.record_type === 'observation').map((entry) => entry.record.record_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(2);
  });

  it('stops cleanly on SIGTERM mid-upload: exit 0 within seconds, the file kept for retry', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    s3.injectFaults({ kind: 'hang' });
    const child = startRun(site);
    // The upload is in flight once its request reached the (hanging) server, not when the file is written.
    await waitFor(async () => s3.putRequests >= 1 && (await listSpool(site, 'temp')).some((name) => name.endsWith('.ndjson')), 30_000, 'an upload in flight');
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const { code } = await exited(child);
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(await listSpool(site, 'temp')).toEqual([]);
    expect((await listSpool(site, 'dump')).length).toBeGreaterThan(0);
    const logs = await readLogs(site);
    expect(logs).toMatch(logLine('agent', LogEvents.stopRequested, 'signal=SIGTERM'));
    expect([logLine('agent', LogEvents.agentStopped), logLine('agent', LogEvents.agentStoppedAbandoned)].some((line) => line.test(logs))).toBe(true);
    expect((await runCli(['drain', '-c', site.configFile])).code).toBe(ExitCode.ok);
  });

  it('refuses a second instance on the same storage folder and names the holder', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, schedule: '0 0 1 1 *' });
    const child = startRun(site);
    await waitFor(async () => logLine('agent', LogEvents.agentStarted).test(await readLogs(site)), 30_000, 'the agent to start');
    const second = await runCli(['once', '-c', site.configFile]);
    expect(second.code).toBe(ExitCode.locked);
    expect(second.stderr).toMatch(new RegExp(`Another datapipe-agent is already using .*pid ${child.pid} .*command 'run'`));
    const status = JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout);
    expect(status.process).toMatchObject({ running: true, pid: child.pid, command: 'run' });
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
  });

  it('collects on schedule and retries the dump by itself once S3 is back', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, schedule: '*/2 * * * * *', retrySchedule: '*/3 * * * * *' });
    await s3.setDown(true);
    const child = startRun(site);
    await waitFor(async () => (await listSpool(site, 'dump')).length >= 2, 40_000, 'two cycles in the dump');
    await s3.setDown(false);
    await waitFor(async () => (await listSpool(site, 'dump')).length === 0 && (await s3.listObjects(BUCKET)).length >= 3, 40_000, 'the dump to drain');
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    const logs = await readLogs(site);
    expect(logs).toMatch(logLine('drain', LogEvents.passFinished, String.raw`uploaded=\d+ failed=0 remaining=0`));
    const status = JSON.parse(await readFile(join(site.storageDir, 'state', 'status.json'), 'utf8'));
    expect(status.lastDrain.remaining).toBe(0);
  });

  it('uploads its first cycle within seconds of a start, after the start-up drain, though the next slot is an hour away', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, schedule: '0 * * * *', retrySchedule: '0 * * * *' });
    // An earlier outage left one cycle in the dump: the start drains it before collecting.
    await s3.setDown(true);
    expect((await runCli(['once', '-c', site.configFile])).code).not.toBe(ExitCode.ok);
    expect(await listSpool(site, 'dump')).toHaveLength(1);
    await s3.setDown(false);
    const startedAt = Date.now();
    const child = startRun(site);
    await waitFor(async () => (await s3.listObjects(BUCKET)).length >= 2, 20_000, 'the dumped file and a first cycle uploaded');
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    const status = JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout);
    expect(status.lastCycle).toMatchObject({ outcome: 'ok', delivery: 'uploaded' });
    expect(new Date(status.lastUpload.at).getTime()).toBeGreaterThanOrEqual(startedAt);
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    const logs = await readLogs(site);
    const drained = logs.search(logLine('drain', LogEvents.passFinished, 'uploaded=1'));
    expect(drained).toBeGreaterThan(-1);
    expect(logs.slice(drained).search(logLine('collect', LogEvents.cycleFinished))).toBeGreaterThan(0);
  });
});
