// The sink's verdict as jobs/deliver.ts uses it, against the real S3-protocol server: a file
// leaves the dump only when the answer proved the write, and the "sent alone" note is dropped
// only when no attempt of the upload can have stored the object (else a later pack would put the
// same records under a second key).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../agent/config/types.ts';
import { Secret } from '../../agent/config/secret.ts';
import { deliverSpooledFile } from '../../agent/jobs/deliver.ts';
import { drainDump } from '../../agent/jobs/drain.ts';
import { createS3Sink, type S3Sink } from '../../agent/sinks/s3/sink.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { createSpool, type Spool } from '../../agent/spool/spool.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { startS3Server, type S3Fault, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const SLOW_DOWN: S3Fault = { kind: 'status', status: 503, code: 'SlowDown' };

describe('delivery verdicts', () => {
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

  async function dumpFiles(count: number): Promise<string[]> {
    const names: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const at = new Date(Date.UTC(2026, 10, 21, 10, index));
      const body = Buffer.from(`${JSON.stringify({ record_id: at.toISOString(), n: index })}\n`);
      const name = cycleFileName('acme', at, body);
      await spool.moveToDump(await spool.writeTemp(name, body));
      names.push(name);
    }
    return names;
  }

  /** Every record id in the bucket with the keys holding it. */
  async function recordKeys(): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const object of await s3.listObjects('bucket')) {
      for (const line of object.body.toString('utf8').split('\n').filter(Boolean)) {
        const id = (JSON.parse(line) as { record_id: string }).record_id;
        found.set(id, [...(found.get(id) ?? []), object.key]);
      }
    }
    return found;
  }

  it.each(['empty', 'html'] as const)('keeps the file when S3 "answers" 200 with an %s body and stores nothing', async (body) => {
    const [name] = await dumpFiles(1);
    const [file] = await spool.listDump();
    const fault: S3Fault = { kind: 'ok-without-storing', body };
    s3.injectFaults(fault, fault, fault);
    const delivery = await deliverSpooledFile(file!, { sink, spool, prefix: 'raw/' });
    expect(delivery).toMatchObject({ ok: false, error: { code: 'UnconfirmedUpload' } });
    expect((await spool.listDump()).map((f) => f.name)).toEqual([name]);
    expect(await s3.listObjects('bucket')).toEqual([]);
  });

  it('stored, reset, then 503 SlowDown: the note stays, and the next pass puts each record under one key', async () => {
    const names = await dumpFiles(3);
    const [first] = await spool.listDump();
    s3.injectFaults({ kind: 'store-then-reset' }, SLOW_DOWN, SLOW_DOWN);
    const delivery = await deliverSpooledFile(first!, { sink, spool, prefix: 'raw/' });
    expect(delivery).toMatchObject({ ok: false, error: { code: 'SlowDown' } });
    expect([...await spool.journal.listSentAlone()]).toEqual([names[0]]);
    expect(delivery).toMatchObject({ error: { mayHaveBeenStored: true } });

    const result = await drainDump({ sink, spool, store: createStatusStore(storageDir, 'test'), logger: createListLogger(), prefix: 'raw/', concurrency: 1 });
    expect(result).toMatchObject({ uploaded: 3, remaining: 0 });
    const found = await recordKeys();
    expect(found.size).toBe(3);
    expect([...found.entries()].filter(([, keys]) => keys.length !== 1)).toEqual([]);
  });

  it('503 SlowDown on every attempt stored nothing: the note is dropped, so the file may be packed', async () => {
    await dumpFiles(1);
    const [file] = await spool.listDump();
    s3.injectFaults(SLOW_DOWN, SLOW_DOWN, SLOW_DOWN);
    const delivery = await deliverSpooledFile(file!, { sink, spool, prefix: 'raw/' });
    expect(delivery).toMatchObject({ ok: false, error: { code: 'SlowDown' } });
    expect((await spool.journal.listSentAlone()).size).toBe(0);
    expect(delivery).toMatchObject({ error: { mayHaveBeenStored: false } });
  });
});
