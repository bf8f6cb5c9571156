// The campaign's checker must catch what it claims to catch: a lost record, a record under two
// keys, a partial object, a leftover dump file, a missing or doubled 403 line, a leaked secret.
// Each case starts from a clean delivery (which must pass) and breaks one thing.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildObservation, toNdjson } from '../../agent/envelope/records.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { createCampaignLog } from './faults.ts';
import { checkInvariants } from './invariants.ts';
import { CUSTOMER_ID, LOCATIONS, type Site } from './site.ts';

const SECRET = 'checker-test-SECRET-0123456789';
const location = LOCATIONS[0]!;
const observation = (time: string) =>
  buildObservation({ customerId: CUSTOMER_ID, location, observedAt: new Date(`${time}:00Z`), collectedAt: new Date(), agent: { version: '0.1.0', host: 'h' }, payload: { current: { time, interval: 900, temperature_2m: 1.5 } } });

describe('checkInvariants', () => {
  const tempDir = useTempDirs();

  async function scenario(options: { objects?: { key: string; body: Buffer }[]; logLines?: string[]; dumpFile?: boolean; served?: string[]; kills?: number[]; accessDenied?: number[] } = {}) {
    const dir = await tempDir();
    const site = { dir, storageDir: join(dir, 'storage'), logDir: join(dir, 'logs') } as Site;
    await mkdir(join(site.storageDir, 'dump'), { recursive: true });
    await mkdir(site.logDir);
    await writeFile(join(site.logDir, 'agent-2026-11-21.log'), (options.logLines ?? []).join('\n'));
    if (options.dumpFile) await writeFile(join(site.storageDir, 'dump', 'left.ndjson'), '{}\n');
    const log = createCampaignLog();
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

  it('counts a record received just before a kill -9 as not persisted, not lost', async () => {
    const verdict = await scenario({ served: ['2026-11-21T10:00', '2026-11-21T10:15'], kills: [2100] });
    expect(verdict.broken).toEqual([]);
    expect(verdict.receivedNotPersisted.killed).toBe(1);
  });
});
