// The dump retry pass against a hostile storage folder and a refusing S3, in-process, with real
// files and the real S3-protocol server: sources of an interrupted pack removed by someone else,
// crafted manifests, links, FIFOs, damaged files, and poison files S3 refuses for their own sake.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../agent/config/types.ts';
import { drainDump, type DrainDeps } from '../../agent/jobs/drain.ts';
import { createS3Sink, type S3Sink } from '../../agent/sinks/s3/sink.ts';
import { POISON_FILE_LIMIT } from '../../agent/sinks/s3/file-specific-errors.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { planDrain } from '../../agent/spool/pack-plan.ts';
import { DEFAULT_PACK_LIMITS } from '../../agent/spool/pack.ts';
import { keysUnder } from '../../agent/sinks/s3/object-key.ts';
import { MAX_SPOOL_FILE_BYTES } from '../../agent/spool/safe-read.ts';
import { createSpool, type Spool } from '../../agent/spool/spool.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { Secret } from '../../agent/config/secret.ts';
import { BUCKET, createSite, listSpool, recordsInBucket, runCli, startCli, waitFor } from '../helpers/agent-site.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';

const ALONE = { minFiles: Number.MAX_SAFE_INTEGER };

describe('a drain pass in a hostile storage folder', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let sink: S3Sink;
  let spool: Spool;
  let storageDir: string;

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: ['bucket'] });
    const config: S3Config = { bucket: 'bucket', region: s3.region, prefix: 'raw/', endpoint: s3.endpoint, retrySchedule: '* * * * *' };
    sink = createS3Sink({
      config, logger: createListLogger(), timeoutSeconds: 5,
      credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: new Secret(s3.credentials.secretAccessKey) },
    });
    storageDir = await tempDir();
    spool = createSpool(storageDir);
    await spool.prepare();
  });
  afterEach(async () => {
    sink.destroy();
    await s3.close();
  });

  async function dumpFiles(count: number, start = new Date(Date.UTC(2026, 10, 21, 10, 0))): Promise<string[]> {
    const names: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const at = new Date(start.getTime() + index * 60_000);
      const body = Buffer.from(JSON.stringify({ record_id: `${at.toISOString()}#0`, n: index }) + '\n');
      const name = cycleFileName('acme', at, body);
      await spool.moveToDump(await spool.writeTemp(name, body));
      names.push(name);
    }
    return names;
  }

  function drain(options: { logger?: ReturnType<typeof createListLogger> } & Partial<DrainDeps> = {}) {
    return drainDump({
      sink, spool, store: createStatusStore(storageDir, 'test'), logger: options.logger ?? createListLogger(), prefix: 'raw/', customerId: 'acme', concurrency: 1, ...options,
    });
  }

  async function recordIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const object of await s3.listObjects('bucket')) {
      for (const line of object.body.toString('utf8').split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { record_id: string }).record_id);
    }
    return ids.sort();
  }

  /** The pack a pass would make of the dump, with its manifest written: a crash before its PUT. */
  async function interruptedPack() {
    const units = planDrain({
      files: await spool.listDump(), manifests: [], sentAlone: new Set(), limits: DEFAULT_PACK_LIMITS, keyOf: keysUnder('raw/'), gzip: false,
      read: (path) => spool.read(path),
    });
    const next = await units.next();
    if (next.done || next.value.kind !== 'pack') throw new Error('expected a pack');
    await spool.journal.writeManifest(next.value.manifest);
    return next.value;
  }

  describe('an interrupted pack whose sources were partly removed by someone else', () => {
    it('deletes nothing unconfirmed: the files still present are delivered one by one, with one error line', async () => {
      const names = await dumpFiles(10);
      await interruptedPack();
      await unlink(join(spool.dumpDir, names[3]!)); // antivirus, a person, fsck
      const logger = createListLogger();
      const result = await drain({ logger });

      expect(result).toMatchObject({ uploaded: 9, failed: 0, remaining: 0 });
      expect((await recordIds()).length).toBe(9);
      expect((await s3.listObjects('bucket')).map((o) => o.key.split('/').pop()).sort()).toEqual(names.filter((_, index) => index !== 3).sort());
      const errors = logger.lines.filter((line) => line.level === 'error');
      expect(errors.map((line) => [line.fields.missing, line.fields.first_missing])).toEqual([[1, names[3]]]);
      expect((await spool.journal.listManifests()).manifests).toEqual([]);
    });

    it('after S3 confirmed the pack (its confirmation note written), only finishes the deletes', async () => {
      const names = await dumpFiles(6);
      const unit = await interruptedPack();
      await sink.upload(unit.manifest.key, unit.ndjson);
      await spool.journal.markConfirmed(unit.manifest.name);
      await unlink(join(spool.dumpDir, names[0]!)); // the first delete had happened
      const puts = s3.putRequests;
      expect(await drain()).toMatchObject({ uploaded: 5, remaining: 0 });
      expect(s3.putRequests).toBe(puts);
      expect((await s3.listObjects('bucket')).map((o) => o.key)).toEqual([unit.manifest.key]);
    });
  });

  describe('a pack manifest the agent did not write', () => {
    it.each([
      { what: 'an invented name and key that "confirm" real files', change: (m: Record<string, unknown>) => ({ ...m, name: 'acme_20261121T100000000Z_pack-0000000000000000.ndjson', key: 'raw/elsewhere' }) },
      { what: 'another customer prefix', change: (m: Record<string, unknown>) => ({ ...m, key: `other/${String(m.key)}` }) },
      { what: 'a source outside the dump', change: (m: Record<string, unknown>) => ({ ...m, sources: [...(m.sources as string[]), '../state/status.json'] }) },
    ])('$what: is quarantined with one error line, and every file is still delivered', async ({ change }) => {
      const names = await dumpFiles(4);
      const unit = await interruptedPack();
      await spool.journal.removeManifest(unit.manifest.name);
      const crafted = change({ ...unit.manifest, sources: [...unit.manifest.sources, 'acme_20261121T100500000Z_0123456789abcdef.ndjson'] }) as typeof unit.manifest;
      await writeFile(join(spool.journal.dir, `${crafted.name}.json`), JSON.stringify(crafted));
      const logger = createListLogger();

      expect(await drain({ logger })).toMatchObject({ uploaded: 4, remaining: 0, quarantined: 1 });
      expect((await recordIds()).length).toBe(names.length);
      const quarantined = logger.lines.filter((line) => line.event === LogEvents.entryQuarantined.name);
      expect(quarantined.map((line) => line.fields.reason)).toEqual(['UntrustedManifest']);
      expect((await spool.quarantine.list()).map((entry) => entry.reason?.code)).toEqual(['UntrustedManifest']);
    });
  });

  describe('entries that are not what their name says', () => {
    it('never follows a symbolic link: a link to a secret is quarantined, not uploaded', async () => {
      await dumpFiles(2);
      const secret = join(await tempDir(), 'shadow');
      await writeFile(secret, 'root:$6$secret-hash:19000:0:99999:7:::\n');
      const name = cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 9, 0)), Buffer.from('x'));
      await symlink(secret, join(spool.dumpDir, name));
      const logger = createListLogger();

      expect(await drain({ logger, packLimits: ALONE })).toMatchObject({ uploaded: 2, remaining: 0, quarantined: 1 });
      for (const object of await s3.listObjects('bucket')) expect(object.body.toString()).not.toContain('secret-hash');
      expect(await readdir(spool.quarantine.dir)).toEqual([name, `${name}.reason.json`].sort());
      expect(logger.lines.filter((line) => line.event === LogEvents.entryQuarantined.name).map((line) => line.fields.reason)).toEqual(['NotARegularFile']);
      expect(await readFile(secret, 'utf8')).toContain('secret-hash'); // the target is untouched
    });

    it.each([
      { what: 'a link to /dev/zero', make: (path: string) => symlink('/dev/zero', path) },
      { what: 'a FIFO', make: async (path: string) => void execFileSync('mkfifo', [path]) },
      { what: 'a folder', make: (path: string) => mkdir(path) },
    ])('$what is quarantined at once, and the pass finishes', async ({ make }) => {
      await dumpFiles(3);
      const name = cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 9, 0)), Buffer.from('x'));
      await make(join(spool.dumpDir, name));
      expect(await drain()).toMatchObject({ uploaded: 3, remaining: 0, quarantined: 1 });
      expect((await spool.quarantine.list()).map((entry) => [entry.name, entry.reason?.code])).toEqual([[name, 'NotARegularFile']]);
    }, 10_000);

    it.each([
      { what: 'a truncated file', damage: (path: string) => truncate(path, 10) },
      { what: 'an emptied file', damage: (path: string) => truncate(path, 0) },
      { what: 'a rewritten file', damage: (path: string) => writeFile(path, '{"record_id":"forged"}\n') },
    ])('$what (bytes that do not match the hash in its name) is quarantined, not sent, alone or in a pack', async ({ damage }) => {
      const names = await dumpFiles(5);
      await damage(join(spool.dumpDir, names[2]!));
      const logger = createListLogger();
      expect(await drain({ logger })).toMatchObject({ uploaded: 4, remaining: 0, quarantined: 1 });
      expect((await recordIds()).length).toBe(4);
      expect((await spool.quarantine.list()).map((entry) => [entry.name, entry.reason?.code])).toEqual([[names[2], 'ContentHashMismatch']]);
    });
  });

  it('a file far larger than any cycle file is quarantined without being read into memory', async () => {
    await dumpFiles(2);
    const name = cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 9, 0)), Buffer.from('x'));
    await writeFile(join(spool.dumpDir, name), '');
    await truncate(join(spool.dumpDir, name), MAX_SPOOL_FILE_BYTES + 1); // sparse: no disk used
    expect(await drain({ packLimits: ALONE })).toMatchObject({ uploaded: 2, remaining: 0, quarantined: 1 });
    expect((await spool.quarantine.list()).map((entry) => [entry.name, entry.reason?.code])).toEqual([[name, 'TooLarge']]);
  });

  describe('a poison file S3 refuses for a reason of its own', () => {
    it(`is quarantined after ${POISON_FILE_LIMIT} refusals with one error line, while the files behind it keep flowing`, async () => {
      const [poison, ...rest] = await dumpFiles(4);
      const logger = createListLogger();
      for (let pass = 1; pass <= POISON_FILE_LIMIT; pass += 1) {
        s3.injectFaults({ kind: 'status', status: 400, code: 'EntityTooLarge' }); // the oldest goes first
        const result = await drain({ logger, packLimits: ALONE });
        expect(result.stoppedBy).toBeUndefined();
        if (pass === 1) await dumpFiles(1, new Date(Date.UTC(2026, 10, 21, 11, 0)));
        if (pass < POISON_FILE_LIMIT) expect(result).toMatchObject({ failed: 1, remaining: 1 });
        else expect(result).toMatchObject({ failed: 1, remaining: 0, quarantined: 1 });
      }
      expect((await recordIds()).length).toBe(rest.length + 1);
      const errors = logger.lines.filter((line) => line.level === 'error');
      expect(errors.map((line) => [line.fields.entry, line.fields.reason])).toEqual([[poison, 'RefusedByS3']]);
      const [entry] = await spool.quarantine.list();
      expect(entry).toMatchObject({ name: poison, reason: { code: 'RefusedByS3', lastError: 'EntityTooLarge', attempts: POISON_FILE_LIMIT } });
      expect((await createStatusStore(storageDir, 'test').read()).dumpFailures).toEqual({});
    });

    it('does not count a refusal of a whole pack against its files: the pack is split and they go alone', async () => {
      await dumpFiles(4);
      s3.injectFaults({ kind: 'status', status: 400, code: 'EntityTooLarge' });
      const result = await drain();
      expect(result).toMatchObject({ uploaded: 4, remaining: 0, packs: 0, objects: 4 });
      expect((await createStatusStore(storageDir, 'test').read()).dumpFailures).toEqual({});
      expect(await spool.quarantine.list()).toEqual([]);
    });
  });
});

describe('a real `drain` process killed with -9 mid-pack, then a source removed by someone else', () => {
  const tempDir = useTempDirs();
  const FILES = 300;

  it('the next drain deletes nothing unconfirmed and delivers every file still there', async () => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    const openMeteo = await startOpenMeteoStub();
    try {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo });
      const spool = createSpool(site.storageDir);
      await spool.prepare();
      const names: string[] = [];
      for (let index = 0; index < FILES; index += 1) {
        const body = Buffer.from(JSON.stringify({ record_id: `r${index}` }) + '\n');
        names.push(cycleFileName('acme-001', new Date(Date.UTC(2026, 10, 21, 0, 0, index)), body));
        await writeFile(join(spool.dumpDir, names.at(-1)!), body); // setup: no fsync needed
      }
      s3.injectFaults({ kind: 'slow', delayMs: 10_000 });
      const child = startCli(['drain', '-c', site.configFile]);
      await waitFor(() => s3.putRequests >= 1, 60_000, 'the pack PUT to reach S3');
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      expect((await spool.journal.listManifests()).manifests).toHaveLength(1);
      await unlink(join(spool.dumpDir, names[7]!));

      const second = await runCli(['drain', '-c', site.configFile]);
      expect(second.code, second.stderr).toBe(0);
      expect(await listSpool(site, 'dump')).toEqual([]);
      // Every record still on disk after the crash is in S3 (r7 only if the killed PUT had stored the pack).
      const ids = new Set((await recordsInBucket(s3)).map((entry) => entry.record.record_id));
      expect(names.map((_, index) => `r${index}`).filter((id) => id !== 'r7' && !ids.has(id))).toEqual([]);
    } finally {
      await openMeteo.close();
      await s3.close();
    }
  }, 120_000);
});
