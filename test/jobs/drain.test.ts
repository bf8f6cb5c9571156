// The dump retry pass in-process, against the real S3-protocol server with injected faults: files
// sent alone, backlogs sent as packs, and every crash point of a pack.
import { watch } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../agent/config/types.ts';
import { deliverSpooledFile } from '../../agent/jobs/deliver.ts';
import { drainDump, type DrainDeps } from '../../agent/jobs/drain.ts';
import { createS3Sink, type S3Sink } from '../../agent/sinks/s3/sink.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { planDrain } from '../../agent/spool/pack-plan.ts';
import { DEFAULT_PACK_LIMITS } from '../../agent/spool/pack.ts';
import { keysUnder } from '../../agent/sinks/s3/object-key.ts';
import { createSpool, type Spool } from '../../agent/spool/spool.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { Secret } from '../../agent/config/secret.ts';
import { BUCKET, createSite, listSpool, recordsInBucket, runCli, startCli, waitFor } from '../helpers/agent-site.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';

/** The two lines that say a pack of an earlier pass was finished. */
const RESUMED = [LogEvents.packResent.name, LogEvents.packAlreadyStored.name];

const ALONE = { minFiles: Number.MAX_SAFE_INTEGER };

describe('dump retry pass', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let sink: S3Sink;
  let spool: Spool;
  let storageDir: string;

  function makeSink(): S3Sink {
    const config: S3Config = { bucket: 'bucket', region: s3.region, prefix: 'raw/', endpoint: s3.endpoint, retrySchedule: '* * * * *' };
    return createS3Sink({
      config, logger: createListLogger(), timeoutSeconds: 5,
      credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: new Secret(s3.credentials.secretAccessKey) },
    });
  }

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: ['bucket'] });
    sink = makeSink();
    storageDir = await tempDir();
    spool = createSpool(storageDir);
    await spool.prepare();
  });
  afterEach(async () => {
    sink.destroy();
    await s3.close();
  });

  /** `count` cycle files of `recordsEach` records, one minute apart from `start`. */
  async function dumpFiles(count: number, options: { recordsEach?: number; start?: Date; customer?: string } = {}): Promise<string[]> {
    const names: string[] = [];
    const start = options.start ?? new Date(Date.UTC(2026, 10, 21, 10, 0));
    for (let index = 0; index < count; index += 1) {
      const at = new Date(start.getTime() + index * 60_000);
      const lines = Array.from({ length: options.recordsEach ?? 1 }, (_, line) => JSON.stringify({ record_id: `${at.toISOString()}#${line}`, n: index }));
      const body = Buffer.from(lines.join('\n') + '\n');
      const name = cycleFileName(options.customer ?? 'acme', at, body);
      await spool.moveToDump(await spool.writeTemp(name, body));
      names.push(name);
    }
    return names;
  }

  function drain(options: { logger?: ReturnType<typeof createListLogger> } & Partial<DrainDeps> = {}) {
    return drainDump({
      sink, spool, store: createStatusStore(storageDir, 'test'), logger: options.logger ?? createListLogger(), prefix: 'raw/', concurrency: 1, ...options,
    });
  }

  /** Every record id in the bucket with the keys holding it. */
  async function recordKeys(): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const object of await s3.listObjects('bucket')) {
      const text = (object.key.endsWith('.gz') ? gunzipSync(object.body) : object.body).toString('utf8');
      for (const line of text.split('\n').filter(Boolean)) {
        const id = (JSON.parse(line) as { record_id: string }).record_id;
        found.set(id, [...(found.get(id) ?? []), object.key]);
      }
    }
    return found;
  }

  async function expectEachRecordOnceInOneKey(expectedRecords: number): Promise<void> {
    const found = await recordKeys();
    expect(found.size).toBe(expectedRecords);
    expect([...found.values()].filter((keys) => keys.length !== 1)).toEqual([]);
  }

  describe('files sent alone', () => {
    it('uploads every file oldest first and empties the dump', async () => {
      const names = await dumpFiles(5);
      const result = await drain({ packLimits: ALONE });
      expect(result).toEqual({ uploaded: 5, failed: 0, remaining: 0, objects: 5, packs: 0 });
      expect((await s3.listObjects('bucket')).map((o) => o.key.split('/').pop()).sort()).toEqual([...names].sort());
    });

    it('stops at the first refusal a retry cannot fix, keeps every file, and logs one error with the fix', async () => {
      await dumpFiles(4);
      s3.injectFaults({ kind: 'status', status: 403, code: 'AccessDenied' });
      const logger = createListLogger();
      const result = await drain({ logger, packLimits: ALONE });
      expect(result).toMatchObject({ uploaded: 0, failed: 1, remaining: 4 });
      expect(result.stoppedBy?.code).toBe('AccessDenied');
      const errors = logger.lines.filter((line) => line.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.fields.fix).toMatch(/s3:PutObject/);
      const status = await createStatusStore(storageDir, 'test').read();
      expect(Object.values(status.dumpFailures)).toEqual([expect.objectContaining({ attempts: 1, lastError: 'AccessDenied' })]);
    });

    it('does not let one failing file block the files behind it', async () => {
      const names = await dumpFiles(3);
      s3.injectFaults(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500, code: 'InternalError' })));
      const result = await drain({ packLimits: ALONE });
      expect(result).toMatchObject({ uploaded: 2, failed: 1, remaining: 1 });
      expect((await spool.listDump()).map((file) => file.name)).toEqual([names[0]]);
    });

    it('gives up a pass after three failures in a row when S3 is down, and delivers all on the next', async () => {
      await dumpFiles(6);
      await s3.setDown(true);
      const down = await drain({ packLimits: ALONE });
      expect(down).toMatchObject({ uploaded: 0, failed: 3, remaining: 6 });
      expect(down.stoppedBy?.retryable).toBe(true);
      await s3.setDown(false);
      expect(await drain({ packLimits: ALONE })).toMatchObject({ uploaded: 6, failed: 0, remaining: 0 });
      expect((await createStatusStore(storageDir, 'test').read()).dumpFailures).toEqual({});
    });

    it('sends a lone file alone under its own key', async () => {
      const [name] = await dumpFiles(1);
      expect(await drain()).toEqual({ uploaded: 1, failed: 0, remaining: 0, objects: 1, packs: 0 });
      expect((await s3.listObjects('bucket')).map((o) => o.key)).toEqual([`raw/customer=acme/date=2026-11-21/${name}`]);
    });
  });

  describe('packs', () => {
    it('packs a backlog per customer and date within the limits, each record once, in few PUTs', async () => {
      await dumpFiles(30, { recordsEach: 2, start: new Date(Date.UTC(2026, 10, 21, 23, 40)) }); // 20 on the 21st, 10 on the 22nd
      await dumpFiles(4, { customer: 'other', start: new Date(Date.UTC(2026, 10, 21, 12, 0)) });
      const logger = createListLogger();
      const result = await drain({ logger, concurrency: 4, packLimits: { maxRecords: 20 } });

      expect(result).toMatchObject({ uploaded: 34, failed: 0, remaining: 0, objects: 4, packs: 4 });
      expect(s3.putRequests).toBe(4);
      const keys = (await s3.listObjects('bucket')).map((o) => o.key).sort();
      expect(keys).toEqual([
        expect.stringMatching(/^raw\/customer=acme\/date=2026-11-21\/acme_20261121T234000000Z_pack-[0-9a-f]{16}\.ndjson$/),
        expect.stringMatching(/^raw\/customer=acme\/date=2026-11-21\/acme_20261121T235000000Z_pack-[0-9a-f]{16}\.ndjson$/),
        expect.stringMatching(/^raw\/customer=acme\/date=2026-11-22\/acme_20261122T000000000Z_pack-[0-9a-f]{16}\.ndjson$/),
        expect.stringMatching(/^raw\/customer=other\/date=2026-11-21\/other_20261121T120000000Z_pack-[0-9a-f]{16}\.ndjson$/),
      ]);
      await expectEachRecordOnceInOneKey(64);
      for (const [id, [key]] of await recordKeys()) expect(key).toContain(`date=${id.slice(0, 10)}/`);
      expect(await spool.journal.listManifests()).toEqual({ manifests: [], unreadable: [], confirmed: new Set() });
      expect(logger.lines.find((line) => line.event === LogEvents.passFinished.name)?.fields).toMatchObject({ uploaded: 34, objects: 4, packs: 4 });
    });

    it('sends gzipped packs that hold the same NDJSON and get the same key every time', async () => {
      await dumpFiles(5);
      await drain({ gzipPacks: true });
      const [first] = await s3.listObjects('bucket');
      expect(first!.key).toMatch(/_pack-[0-9a-f]{16}\.ndjson\.gz$/);
      const text = gunzipSync(first!.body).toString('utf8');
      expect(text.split('\n').filter(Boolean)).toHaveLength(5);

      // The same backlog in another storage folder packs to the same key and bytes.
      spool = createSpool(await tempDir());
      storageDir = spool.tempDir.replace(/[/\\]temp$/, '');
      await spool.prepare();
      await dumpFiles(5);
      await drain({ gzipPacks: true });
      const objects = await s3.listObjects('bucket');
      expect(objects).toHaveLength(1);
      expect(objects[0]!.body.equals(first!.body)).toBe(true);
      expect(s3.putRequests).toBe(2);
    });

    it('sends alone a file that is not clean NDJSON, and packs the rest', async () => {
      await dumpFiles(3);
      const broken = cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 10, 1, 30)), Buffer.from('{"record_id":"half'));
      await spool.moveToDump(await spool.writeTemp(broken, Buffer.from('{"record_id":"half')));
      expect(await drain()).toMatchObject({ uploaded: 4, remaining: 0, objects: 2, packs: 1 });
      expect((await s3.listObjects('bucket')).map((o) => o.key)).toContain(`raw/customer=acme/date=2026-11-21/${broken}`);
    });

    it('never packs a file whose own upload may have reached S3, but does when S3 provably did not get it', async () => {
      const names = await dumpFiles(4);
      const [resetOne, refusedOne] = await spool.listDump();
      // Resets: the request may have been stored (ambiguous). The SDK tries three times.
      s3.injectFaults({ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' });
      expect((await deliverSpooledFile(resetOne!, { sink, spool, prefix: 'raw/' })).ok).toBe(false);
      await s3.setDown(true);
      sink.destroy();
      sink = makeSink();
      expect((await deliverSpooledFile(refusedOne!, { sink, spool, prefix: 'raw/' })).ok).toBe(false);
      await s3.setDown(false);
      expect([...await spool.journal.listSentAlone()]).toEqual([names[0]]);

      expect(await drain()).toMatchObject({ uploaded: 4, remaining: 0, objects: 2, packs: 1 });
      const keys = (await s3.listObjects('bucket')).map((o) => o.key.split('/').pop());
      expect(keys).toContain(names[0]);
      await expectEachRecordOnceInOneKey(4);
      expect((await spool.journal.listSentAlone()).size).toBe(0);
    });

    it('counts a failed pack against each of its files and sends the identical pack on the next pass', async () => {
      const names = await dumpFiles(6);
      s3.injectFaults({ kind: 'status', status: 403, code: 'AccessDenied' });
      const refused = await drain();
      expect(refused).toMatchObject({ uploaded: 0, failed: 6, remaining: 6, packs: 0 });
      expect(refused.stoppedBy?.code).toBe('AccessDenied');
      const status = await createStatusStore(storageDir, 'test').read();
      expect(Object.keys(status.dumpFailures).sort()).toEqual([...names].sort());
      const { manifests } = await spool.journal.listManifests();
      expect(manifests).toHaveLength(1);

      await dumpFiles(2, { start: new Date(Date.UTC(2026, 10, 21, 11, 0)) }); // newer files do not change the interrupted pack
      const logger = createListLogger();
      expect(await drain({ logger })).toMatchObject({ uploaded: 8, failed: 0, remaining: 0, packs: 2 });
      // No restart happened: the line about the resumed pack must not claim one.
      const resumed = logger.lines.filter((line) => RESUMED.includes(line.event));
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.message).not.toMatch(/restart/);
      expect((await s3.listObjects('bucket')).map((o) => o.key)).toContain(manifests[0]!.key);
      await expectEachRecordOnceInOneKey(8);
      expect((await createStatusStore(storageDir, 'test').read()).dumpFailures).toEqual({});
    });
  });

  describe('a crash during a pack (the on-disk state each crash point leaves)', () => {
    const RECORDS = 40;

    /** Makes the pack a pass would make, and stops where a crash at `point` would have. */
    async function crashAt(point: 'before upload' | 'after upload' | 'mid-deletes' | 'after deletes') {
      await dumpFiles(RECORDS);
      const units = planDrain({
        files: await spool.listDump(), manifests: [], sentAlone: new Set(), limits: DEFAULT_PACK_LIMITS, keyOf: keysUnder('raw/'), gzip: false,
        read: (path) => spool.read(path),
      });
      const next = await units.next();
      if (next.done || next.value.kind !== 'pack') throw new Error('expected a pack');
      const unit = next.value;
      await spool.journal.writeManifest(unit.manifest);
      if (point !== 'before upload') await sink.upload(unit.manifest.key, unit.ndjson);
      // What deliverPack does once S3 confirmed the PUT, before the first delete.
      if (point === 'mid-deletes' || point === 'after deletes') await spool.journal.markConfirmed(unit.manifest.name);
      if (point === 'mid-deletes') await spool.removeConfirmed(unit.files.slice(0, 15).map((file) => file.path));
      if (point === 'after deletes') await spool.removeConfirmed(unit.files.map((file) => file.path));
      return { manifest: unit.manifest, putsBefore: s3.putRequests };
    }

    it.each([
      { point: 'before upload' as const, extraPuts: 1, uploaded: RECORDS },
      { point: 'after upload' as const, extraPuts: 1, uploaded: RECORDS },
      { point: 'mid-deletes' as const, extraPuts: 0, uploaded: RECORDS - 15 },
      { point: 'after deletes' as const, extraPuts: 0, uploaded: 0 },
    ])('$point: the next pass finishes the same pack under the same key, each record once', async ({ point, extraPuts, uploaded }) => {
      const { manifest, putsBefore } = await crashAt(point);
      const logger = createListLogger();
      const result = await drain({ logger, concurrency: 4 });

      expect(result).toMatchObject({ uploaded, failed: 0, remaining: 0 });
      expect(s3.putRequests - putsBefore).toBe(extraPuts);
      expect((await s3.listObjects('bucket')).map((o) => o.key)).toEqual([manifest.key]);
      await expectEachRecordOnceInOneKey(RECORDS);
      expect(await spool.journal.listManifests()).toEqual({ manifests: [], unreadable: [], confirmed: new Set() });
      if (point !== 'after deletes') expect(logger.lines.some((line) => RESUMED.includes(line.event))).toBe(true);
    });

    it('a manifest that cannot be read is set aside with one error line, and its files are still delivered', async () => {
      await dumpFiles(3);
      await spool.journal.writeManifest({ version: 1, name: 'x', key: 'k', sha256: 's', records: 1, bytes: 1, gzip: false, sources: [] });
      await writeFile(`${spool.journal.dir}/x.json`, '{ torn');
      const logger = createListLogger();
      expect(await drain({ logger })).toMatchObject({ uploaded: 3, remaining: 0 });
      expect(logger.lines.filter((line) => line.level === 'error').map((line) => [line.fields.entry, line.fields.reason])).toEqual([['x.json', 'UntrustedManifest']]);
      expect((await spool.quarantine.list()).map((entry) => [entry.name, entry.reason?.from])).toEqual([['x.json', 'packs']]);
    });
  });
});

describe('a real `drain` process killed with -9 mid-pack', () => {
  const tempDir = useTempDirs();
  const FILES = 3000;

  it.each([
    { moment: 'while the pack upload is in flight', trigger: 'put' as const },
    { moment: 'while the pack files are being deleted', trigger: 'delete' as const },
  ])('$moment: a second drain delivers every record exactly once, under one key', async ({ trigger }) => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    const openMeteo = await startOpenMeteoStub();
    try {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo });
      const spool = createSpool(site.storageDir);
      await spool.prepare();
      for (let index = 0; index < FILES; index += 1) {
        const at = new Date(Date.UTC(2026, 10, 21, 0, 0, index)); // one date partition: one pack
        const body = Buffer.from(JSON.stringify({ record_id: `r${index}` }) + '\n');
        await writeFile(join(spool.dumpDir, cycleFileName('acme-001', at, body)), body); // setup: no fsync needed
      }
      if (trigger === 'put') s3.injectFaults({ kind: 'slow', delayMs: 10_000 });
      const dumpWatch = watch(spool.dumpDir);
      const child = startCli(['drain', '-c', site.configFile]);
      if (trigger === 'put') {
        await waitFor(() => s3.putRequests >= 1, 60_000, 'the pack PUT to reach S3');
      } else {
        await new Promise<void>((resolve) => dumpWatch.once('change', () => resolve())); // the first delete
      }
      child.kill('SIGKILL');
      dumpWatch.close();
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      expect(child.signalCode).toBe('SIGKILL');

      const second = await runCli(['drain', '-c', site.configFile]);
      expect(second.code, second.stderr).toBe(0);
      expect(await listSpool(site, 'dump')).toEqual([]);
      const records = await recordsInBucket(s3);
      expect(records).toHaveLength(FILES);
      expect(new Set(records.map((entry) => entry.record.record_id)).size).toBe(FILES);
      expect(new Set(records.map((entry) => entry.key)).size).toBe(1);
      expect(records[0]!.key).toMatch(/_pack-[0-9a-f]{16}\.ndjson$/);
    } finally {
      await openMeteo.close();
      await s3.close();
    }
  }, 120_000);
});
