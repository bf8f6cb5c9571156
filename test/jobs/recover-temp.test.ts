// A cycle file stranded in temp/ by a failure after it became durable (here: a real ENOSPC from
// /dev/full when the state is written) must be picked up by the running agent without a restart,
// and its observations must not be written a second time under a new key.
import { mkdir, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.ts';
import { createRuntime } from '../../agent/jobs/runtime.ts';
import { BUCKET, createSite, listSpool, recordsInBucket } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

/** One collect cycle whose state write after the durable cycle file meets a full disk (a real
 *  ENOSPC from /dev/full): its file is left in temp/. The disk is free again afterwards. */
async function strandCycleFile(site: Awaited<ReturnType<typeof createSite>>, runtime: Awaited<ReturnType<typeof createRuntime>>): Promise<void> {
  await runtime.recover();
  await mkdir(join(site.storageDir, 'state'), { recursive: true });
  const full = join(site.storageDir, 'state', `status.json.${process.pid}.tmp`);
  await symlink('/dev/full', full);
  await expect(runtime.collect()).rejects.toThrow(/status\.json: the disk is full \(ENOSPC\)/);
  expect(await listSpool(site, 'temp')).toHaveLength(1);
  await unlink(full);
}

describe.skipIf(process.platform === 'win32')('a cycle file stranded in temp/ while `run` keeps running', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  let sourceNow: Date;

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    sourceNow = new Date('2026-11-21T10:05:00.000Z');
    openMeteo = await startOpenMeteoStub({ now: () => sourceNow });
  });
  afterEach(async () => {
    await openMeteo.close();
    await s3.close();
  });

  it('is moved to the dump by the next cycle, which does not write its observations again; the error names the file', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    const runtime = await createRuntime((await loadConfig(site.configFile)).config, { console: false });
    try {
      await strandCycleFile(site, runtime);

      // Same source slot, same values: the next cycle must know they were written.
      await runtime.collect();
      expect(await listSpool(site, 'temp')).toEqual([]);
      await runtime.drain();
      expect(await listSpool(site, 'dump')).toEqual([]);
      const observations = (await recordsInBucket(s3)).filter((entry) => entry.record.record_type === 'observation');
      const seen = observations.map((entry) => `${(entry.record.location as { id: string }).id}@${String(entry.record.observed_at)}`);
      expect(seen.sort()).toEqual(['helsinki@2026-11-21T10:00:00.000Z', 'jyvaskyla@2026-11-21T10:00:00.000Z']);
    } finally {
      await runtime.close();
    }
  });

  it('remembers a recovered observation like a written one: served again after the source steps back, it is not written twice', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    const runtime = await createRuntime((await loadConfig(site.configFile)).config, { console: false });
    try {
      await strandCycleFile(site, runtime); // 10:00 stranded in temp/

      sourceNow = new Date('2026-11-21T10:20:00.000Z'); // the next slot, 10:15
      await runtime.collect();
      sourceNow = new Date('2026-11-21T10:05:00.000Z'); // the source's clock steps back to 10:00
      await runtime.collect();
      await runtime.drain();
      const observations = (await recordsInBucket(s3)).filter((entry) => entry.record.record_type === 'observation');
      const seen = observations.map((entry) => `${(entry.record.location as { id: string }).id}@${String(entry.record.observed_at)}`);
      expect(seen.sort()).toEqual([
        'helsinki@2026-11-21T10:00:00.000Z', 'helsinki@2026-11-21T10:15:00.000Z',
        'jyvaskyla@2026-11-21T10:00:00.000Z', 'jyvaskyla@2026-11-21T10:15:00.000Z',
      ]);
    } finally {
      await runtime.close();
    }
  });
});
