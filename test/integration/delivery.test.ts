// The data path end to end, through the real CLI (`once`, `drain`, `status`) as a child process,
// against a real S3-protocol server (with signature checking) and the Open-Meteo stand-in.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { BUCKET, createSite, listSpool, readLogs, recordsInBucket, runCli, type Site } from '../helpers/agent-site.ts';
import { envelopeProblems } from '../helpers/envelope-validator.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';

const KEY_PATTERN = /^raw\/customer=acme-001\/date=\d{4}-\d{2}-\d{2}\/acme-001_\d{8}T\d{9}Z_[0-9a-f]{16}\.ndjson$/;

describe('delivery through the real CLI', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  let clock: Date;

  beforeEach(async () => {
    clock = new Date('2026-11-21T10:05:00.000Z');
    s3 = await startS3Server({ buckets: [BUCKET] });
    openMeteo = await startOpenMeteoStub({ now: () => clock });
  });
  afterEach(async () => {
    await openMeteo.close();
    await s3.close();
  });

  /** Moves the stand-in to the next 15-minute slot, so the next cycle sees new observations. */
  function nextSlot(): void {
    clock = new Date(clock.getTime() + 15 * 60_000);
  }

  async function statusOf(site: Site) {
    const result = await runCli(['status', '-c', site.configFile, '--json']);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  }

  it('uploads one cycle as one object with valid envelope records, then leaves the spool empty', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.ok);

    const objects = await s3.listObjects(BUCKET);
    expect(objects).toHaveLength(1);
    expect(objects[0]!.key).toMatch(KEY_PATTERN);
    expect(s3.putRequests).toBe(1);
    expect(openMeteo.requests).toHaveLength(1);

    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    expect(records.map((record) => envelopeProblems(record))).toEqual([[], [], []]);
    const observations = records.filter((record) => record.record_type === 'observation');
    expect(observations.map((record) => (record.location as { name: string }).name)).toEqual(['Helsinki', 'Jyväskylä']);
    expect(observations.every((record) => record.observed_at === '2026-11-21T10:00:00.000Z')).toBe(true);
    expect(observations.every((record) => record.customer_id === 'acme-001')).toBe(true);
    const status = records.find((record) => record.record_type === 'agent_status') as { cycle: { outcome: string } };
    expect(status.cycle.outcome).toBe('ok');

    expect(await listSpool(site, 'temp')).toEqual([]);
    expect(await listSpool(site, 'dump')).toEqual([]);
    expect(await readLogs(site)).toMatch(logLine('collect', LogEvents.cycleFinished, String.raw`ok=2 failed=0 file=\S+ delivery=uploaded backlog_files=0`));
    const report = await statusOf(site);
    expect(report.lastUpload.key).toBe(objects[0]!.key);
    expect(report.locations.map((l: { lastSuccessAt: string | null }) => l.lastSuccessAt !== null)).toEqual([true, true]);
    expect(report.dump.files).toBe(0);
  });

  it('keeps every cycle while S3 is down and delivers each record exactly once when it is back', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    await s3.setDown(true);
    for (let cycle = 0; cycle < 3; cycle += 1) {
      const result = await runCli(['once', '-c', site.configFile]);
      expect(result.code).toBe(ExitCode.failed);
      expect(result.stderr).toMatch(/remain in the dump/);
      nextSlot();
    }
    expect(await listSpool(site, 'dump')).toHaveLength(3);
    expect((await statusOf(site)).dump.files).toBe(3);
    expect(await readLogs(site)).toMatch(logLine('collect', LogEvents.uploadFailed));

    await s3.setDown(false);
    const drained = await runCli(['drain', '-c', site.configFile]);
    expect(drained.code).toBe(ExitCode.ok);
    expect(drained.stdout).toMatch(/dump is empty \(3 file\(s\) uploaded\)/);
    expect(await listSpool(site, 'dump')).toEqual([]);

    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    const observationIds = records.filter((r) => r.record_type === 'observation').map((r) => r.record_id);
    expect(observationIds).toHaveLength(6);
    expect(new Set(observationIds).size).toBe(6);
    expect(openMeteo.served.length).toBe(6);
  });

  it('does not write an observation twice when polled again before the source has a newer value', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    expect(records.filter((r) => r.record_type === 'observation')).toHaveLength(2);
    expect(records.filter((r) => r.record_type === 'agent_status')).toHaveLength(2);
  });

  it('keeps files and says what to fix when the credentials are wrong', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, secretAccessKey: 'wrong-secret-value-123456' });
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.failed);
    expect(result.stderr).toMatch(/SignatureDoesNotMatch/);
    expect(await listSpool(site, 'dump')).toHaveLength(1);
    expect(await s3.listObjects(BUCKET)).toEqual([]);
    const logs = await readLogs(site);
    expect(logs).toMatch(logLine('collect', LogEvents.uploadRefused, 'error=SignatureDoesNotMatch'));
    expect(logs).not.toContain('wrong-secret-value-123456');
    const report = await statusOf(site);
    expect(report.lastError).toMatchObject({ component: 's3', errorClass: 'SignatureDoesNotMatch' });
    expect(report.lastError.hint).toBeTruthy();
  });

  it('keeps the file when something answers the PUT with 200 but stores nothing, and says what answered', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    // `once` uploads the cycle's file, then runs a dump retry pass: 3 attempts each.
    s3.injectFaults(...Array.from({ length: 6 }, () => ({ kind: 'ok-without-storing', body: 'html' }) as const));
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.failed);
    expect(await listSpool(site, 'dump')).toHaveLength(1);
    expect(await s3.listObjects(BUCKET)).toEqual([]);
    const logs = await readLogs(site);
    expect(logs).toMatch(logLine('collect', LogEvents.uploadFailed, String.raw`error=UnconfirmedUpload .*HTTP 200, content-type text\/html; charset=utf-8, server test-inspecting-proxy\/1\.0`));

    expect((await runCli(['drain', '-c', site.configFile])).code).toBe(ExitCode.ok);
    expect(await listSpool(site, 'dump')).toEqual([]);
    expect(await s3.listObjects(BUCKET)).toHaveLength(1);
  });

  it('counts an object an unanswered attempt already stored as delivered (If-None-Match: * -> 412), without a second write', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    s3.injectFaults({ kind: 'store-then-reset' });
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.ok);
    expect(await listSpool(site, 'dump')).toEqual([]);
    expect(await s3.listObjects(BUCKET)).toHaveLength(1);
    expect(s3.putRequests).toBe(2);
    expect(await readLogs(site)).toMatch(logLine('s3', LogEvents.objectAlreadyStored));
  });

  it('keeps files and names the bucket when it does not exist', async () => {
    const other = await startS3Server({ buckets: [] });
    try {
      const site = await createSite({ dir: await tempDir(), s3: other, openMeteo });
      const result = await runCli(['once', '-c', site.configFile]);
      expect(result.code).toBe(ExitCode.failed);
      expect(result.stderr).toMatch(/NoSuchBucket/);
      expect(await listSpool(site, 'dump')).toHaveLength(1);
      await other.createBucket(BUCKET);
      expect((await runCli(['drain', '-c', site.configFile])).code).toBe(ExitCode.ok);
      expect(await other.listObjects(BUCKET)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('delivers the locations that worked when one location fails, and reports the failed one', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    openMeteo.enqueue({ kind: 'drop-current', locationIndex: 1 });
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.partial);
    expect(result.stderr).toMatch(/1 location\(s\) could not be collected: jyvaskyla/);
    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    expect(records.filter((r) => r.record_type === 'observation').map((r) => (r.location as { id: string }).id)).toEqual(['helsinki']);
    const status = records.find((r) => r.record_type === 'agent_status') as { cycle: { outcome: string; locations: unknown[] } };
    expect(status.cycle.outcome).toBe('partial');
    expect(status.cycle.locations).toEqual([{ id: 'helsinki', outcome: 'ok' }, { id: 'jyvaskyla', outcome: 'failed', error_class: 'bad-body' }]);
  });

  it('still uploads the agent_status record when every location failed', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    openMeteo.enqueue({ kind: 'status', status: 503 });
    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.partial);
    const records = (await recordsInBucket(s3)).map((entry) => entry.record);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ record_type: 'agent_status', cycle: { outcome: 'failed', last_error_class: 'unavailable' } });
  });

  it('pauses collection when the dump is full, deletes nothing, and resumes once it drained', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, maxDumpMb: 1 });
    expect((await runCli(['init', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const big = Buffer.alloc(1024 * 1024 + 1, '\n');
    const name = cycleFileName('acme-001', new Date('2026-11-20T08:00:00.000Z'), big);
    await writeFile(join(site.storageDir, 'dump', name), big);

    await s3.setDown(true);
    const paused = await runCli(['once', '-c', site.configFile]);
    expect(paused.code).toBe(ExitCode.failed);
    expect(paused.stderr).toMatch(/Collection skipped: dump folder holds 1\.0 MB/);
    expect(openMeteo.requests).toHaveLength(0);
    expect(await listSpool(site, 'dump')).toEqual([name]);
    expect(await readLogs(site)).toMatch(logLine('collect', LogEvents.collectionPaused));

    await s3.setDown(false);
    expect((await runCli(['drain', '-c', site.configFile])).code).toBe(ExitCode.ok);
    expect((await s3.listObjects(BUCKET)).map((o) => o.key)).toEqual([`raw/customer=acme-001/date=2026-11-20/${name}`]);
    const resumed = await runCli(['once', '-c', site.configFile]);
    expect(resumed.code).toBe(ExitCode.ok);
    expect(openMeteo.requests).toHaveLength(1);
    expect(await listSpool(site, 'dump')).toEqual([]);
  });
});
