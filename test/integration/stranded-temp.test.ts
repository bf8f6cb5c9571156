// The on-disk state a kill -9 leaves between "the cycle file is durable in temp/" and "the state
// knows its observations": the next real agent process must deliver that file and must not write
// the same observations again under a second key. Once with that state made by hand, once with a
// real `run` killed with -9 the moment its cycle file is renamed into temp/ (the kill lands before
// the state write in practice; the assertions hold wherever it lands).
import { watch } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, recordsInBucket, runCli, startCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('a crash right after the cycle file became durable', () => {
  const tempDir = useTempDirs();
  let openMeteo: OpenMeteoStub;
  const servers: TestS3Server[] = [];

  beforeEach(async () => {
    openMeteo = await startOpenMeteoStub({ now: () => new Date('2026-11-21T10:05:00.000Z') });
  });
  afterEach(async () => {
    await openMeteo.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('the next start delivers the stranded file and writes none of its observations again', async () => {
    // The exact bytes a cycle writes, made by a real cycle against another bucket.
    const first = await startS3Server({ buckets: [BUCKET] });
    servers.push(first);
    const maker = await createSite({ dir: await tempDir(), s3: first, openMeteo });
    expect((await runCli(['once', '-c', maker.configFile])).code).toBe(ExitCode.ok);
    const [made] = await first.listObjects(BUCKET);
    const name = made!.key.split('/').pop()!;

    // The crashed site: that file complete in temp/, the state never written.
    const s3 = await startS3Server({ buckets: [BUCKET] });
    servers.push(s3);
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    expect((await runCli(['init', '-c', site.configFile])).code).toBe(ExitCode.ok);
    await writeFile(join(site.storageDir, 'temp', name), made!.body);

    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const keys = (await s3.listObjects(BUCKET)).map((object) => object.key.split('/').pop());
    expect(keys).toContain(name);
    const observations = (await recordsInBucket(s3)).filter((entry) => entry.record.record_type === 'observation');
    const seen = observations.map((entry) => `${(entry.record.location as { id: string }).id}@${String(entry.record.observed_at)}`);
    expect(seen.sort()).toEqual(['helsinki@2026-11-21T10:00:00.000Z', 'jyvaskyla@2026-11-21T10:00:00.000Z']);
    expect(await readdir(join(site.storageDir, 'temp'))).toEqual([]);
  }, 60_000);

  it('a real `run` killed with -9 right after the rename into temp/: the next start writes no observation twice', async () => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    servers.push(s3);
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, schedule: '* * * * * *' });
    expect((await runCli(['init', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const temp = join(site.storageDir, 'temp');
    const watcher = watch(temp);
    const child = startCli(['run', '-c', site.configFile]);
    await new Promise<void>((resolve) => watcher.on('change', (_event, name) => {
      const entry = String(name);
      if (entry.endsWith('.ndjson') && !entry.startsWith('.')) {
        child.kill('SIGKILL');
        resolve();
      }
    }));
    watcher.close();
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));

    const result = await runCli(['once', '-c', site.configFile]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const observations = (await recordsInBucket(s3)).filter((entry) => entry.record.record_type === 'observation');
    const seen = observations.map((entry) => `${(entry.record.location as { id: string }).id}@${String(entry.record.observed_at)}`);
    expect(seen.sort()).toEqual(['helsinki@2026-11-21T10:00:00.000Z', 'jyvaskyla@2026-11-21T10:00:00.000Z']);
  }, 60_000);
});
