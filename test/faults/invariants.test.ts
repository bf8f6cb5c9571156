// The campaign's checker must catch what it claims to catch: a lost record, a record under two
// keys, a partial object, a leftover dump file, a missing or doubled 403 line, a leaked secret, a
// future-dated observation, a planted special file sent, left behind or read through its link.
// Each case starts from a clean delivery (which must pass) and breaks one thing.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildObservation, toNdjson } from '../../agent/envelope/records.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { createCampaignLog, type CampaignLog } from './faults.ts';
import { checkInvariants } from './invariants.ts';
import { plantSpecialFiles } from './planted-files.ts';
import { CUSTOMER_ID, LOCATIONS, type Site } from './site.ts';

const SECRET = 'checker-test-SECRET-0123456789';
const location = LOCATIONS[0]!;
const observation = (time: string) =>
  buildObservation({ customerId: CUSTOMER_ID, location, observedAt: new Date(`${time}:00Z`), collectedAt: new Date(), agent: { version: '0.1.0', host: 'h' }, payload: { current: { time, interval: 900, temperature_2m: 1.5 } } });

describe('checkInvariants', () => {
  const tempDir = useTempDirs();

  async function scenario(options: { objects?: { key: string; body: Buffer }[]; logLines?: string[]; dumpFile?: boolean; served?: string[]; kills?: number[]; accessDenied?: number[]; log?: CampaignLog; site?: Site } = {}) {
    const dir = await tempDir();
    const site = options.site ?? ({ dir, storageDir: join(dir, 'storage'), logDir: join(dir, 'logs') } as Site);
    await mkdir(join(site.storageDir, 'dump'), { recursive: true });
    await mkdir(site.logDir, { recursive: true });
    await writeFile(join(site.logDir, 'agent-2026-11-21.log'), (options.logLines ?? []).join('\n'));
    if (options.dumpFile) await writeFile(join(site.storageDir, 'dump', 'left.ndjson'), '{}\n');
    const log = options.log ?? createCampaignLog();
    log.sourceRequests.push(1000, 3000);
    log.served.push({ at: 2000, observations: (options.served ?? ['2026-11-21T10:00']).map((time) => ({ latitude: location.latitude, longitude: location.longitude, time })) });
    log.accessDenied.push(...(options.accessDenied ?? []));
    const body = Buffer.from(toNdjson([observation('2026-11-21T10:00')]));
    const objects = options.objects ?? [{ key: 'raw/a.ndjson', body }];
    return checkInvariants({ objects, log, kills: options.kills ?? [], site, secret: SECRET });
  }

  const goodBody = () => Buffer.from(toNdjson([observation('2026-11-21T10:00')]));

  it('passes a clean delivery, gzip objects included', async () => {
    const verdict = await scenario({ objects: [{ key: 'raw/a.ndjson.gz', body: gzipSync(goodBody()) }] });
    expect(verdict.broken).toEqual([]);
    expect(verdict.observationsInS3).toBe(1);
  });

  it.each([
    ['a lost record', { served: ['2026-11-21T10:00', '2026-11-21T10:15'] }, /never reached S3/],
    ['a record under two keys', { objects: [{ key: 'raw/a.ndjson', body: goodBody() }, { key: 'raw/b.ndjson', body: goodBody() }] }, /more than one key/],
    ['a partial object', { objects: [{ key: 'raw/a.ndjson', body: goodBody().subarray(0, 40) }] }, /corrupt or partial/],
    ['a file left in dump/', { dumpFile: true }, /not empty/],
    ['a 403 without its error line', { accessDenied: [2500] }, /AccessDenied error line/],
    ['two lines for one 403', { accessDenied: [2500], logLines: ['t error drain: x error=AccessDenied', 't error collect: y error=AccessDenied'] }, /AccessDenied error line/],
    ['a leaked secret', { logLines: [`t warn s3: key=${SECRET}`] }, /secret access key appears/],
  ])('reports %s', async (_name, options, message) => {
    const verdict = await scenario(options);
    expect(verdict.broken.join('\n')).toMatch(message);
  });

  it('reports an observation dated in the future (a poisoned time trusted)', async () => {
    const body = Buffer.from(toNdjson([observation('2026-11-21T10:00'), observation('2099-01-01T00:00')]));
    const verdict = await scenario({ objects: [{ key: 'raw/a.ndjson', body }] });
    expect(verdict.futureDated).toBe(1);
    expect(verdict.broken.join('\n')).toMatch(/dated in the future/);
  });

  it('does not require an AccessDenied line for a 403 answered while the log disk was full', async () => {
    const log = createCampaignLog();
    log.logDiskFull.push([2000, 3000]);
    const verdict = await scenario({ accessDenied: [2500], log });
    expect(verdict.broken).toEqual([]);
    expect(verdict.accessDenied.unverifiable).toBe(1);
  });

  describe('planted special files', () => {
    async function planted(options: { upload?: boolean; leave?: boolean; followLink?: boolean; quarantineReal?: boolean }) {
      const dir = await tempDir();
      const storageDir = join(dir, 'storage');
      const planting = await plantSpecialFiles(storageDir, dir);
      if (options.quarantineReal) {
        await mkdir(join(storageDir, 'quarantine'), { recursive: true });
        await writeFile(join(storageDir, 'quarantine', 'acme-faults_20261121T100000000Z_0123456789abcdef.ndjson'), goodBody());
      }
      const dump = join(storageDir, 'dump');
      if (!options.leave) for (const file of planting.files) await rm(join(dump, file.name));
      const log = createCampaignLog();
      log.plantings.push(planting);
      const objects = [{ key: 'raw/a.ndjson', body: goodBody() }];
      if (options.upload) objects.push({ key: `raw/customer=x/date=y/${planting.files.find((f) => f.kind === 'empty')!.name}`, body: Buffer.alloc(0) });
      if (options.followLink) objects.push({ key: 'raw/b.ndjson', body: Buffer.from(`{"secret":"${planting.marker}"}\n`) });
      return scenario({ log, objects, site: { dir, storageDir, logDir: join(dir, 'logs') } as Site });
    }

    it('passes when every planted file was set aside and none was sent', async () => {
      const verdict = await planted({});
      expect(verdict.planted.files).toBeGreaterThanOrEqual(4);
      expect(verdict.broken).toEqual([]);
    });

    it('passes with two sets planted in one run, and reports a link target that was changed', async () => {
      const dir = await tempDir();
      const storageDir = join(dir, 'storage');
      const log = createCampaignLog();
      for (let set = 0; set < 2; set += 1) {
        const planting = await plantSpecialFiles(storageDir, dir);
        for (const file of planting.files) await rm(join(storageDir, 'dump', file.name));
        log.plantings.push(planting);
      }
      const site = { dir, storageDir, logDir: join(dir, 'logs') } as Site;
      const objects = [{ key: 'raw/a.ndjson', body: goodBody() }];
      expect((await scenario({ log, objects, site })).broken).toEqual([]);
      await writeFile(log.plantings[0]!.outsideFile, 'overwritten\n');
      expect((await scenario({ log, objects, site })).broken.join('\n')).toMatch(/target of a symbolic link planted in dump\/ was changed/);
    });

    it.each([
      ['uploaded', { upload: true }, /planted special file\(s\) uploaded/],
      ['left in dump/', { leave: true }, /still in dump/],
      ['read through its link', { followLink: true }, /outside the spool reached S3/],
      ['beside a file of the agent\'s own in the quarantine', { quarantineReal: true }, /the agent wrote itself were quarantined/],
    ])('reports a planted file %s', async (_name, options, message) => {
      const verdict = await planted(options);
      expect(verdict.broken.join('\n')).toMatch(message);
    });
  });

  it('counts a record received just before a kill -9 as not persisted, not lost', async () => {
    const verdict = await scenario({ served: ['2026-11-21T10:00', '2026-11-21T10:15'], kills: [2100] });
    expect(verdict.broken).toEqual([]);
    expect(verdict.receivedNotPersisted.killed).toBe(1);
  });
});
