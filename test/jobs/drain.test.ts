// The dump retry pass in-process, against the real S3-protocol server with injected faults.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Config } from '../../agent/config/types.ts';
import { drainDump } from '../../agent/jobs/drain.ts';
import { createS3Sink, type S3Sink } from '../../agent/sinks/s3/sink.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { createSpool, type Spool } from '../../agent/spool/spool.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { Secret } from '../../agent/config/secret.ts';
import { createListLogger } from '../helpers/list-logger.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('dump retry pass', () => {
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
      const body = Buffer.from(`{"n":${index}}\n`);
      const name = cycleFileName('acme', new Date(Date.UTC(2026, 10, 21, 10, index)), body);
      await spool.moveToDump(await spool.writeTemp(name, body));
      names.push(name);
    }
    return names;
  }

  function drain(logger = createListLogger()) {
    return drainDump({ sink, spool, store: createStatusStore(storageDir, 'test'), logger, prefix: 'raw/', concurrency: 1 });
  }

  it('uploads every file oldest first and empties the dump', async () => {
    const names = await dumpFiles(5);
    const result = await drain();
    expect(result).toEqual({ uploaded: 5, failed: 0, remaining: 0 });
    expect((await s3.listObjects('bucket')).map((o) => o.key.split('/').pop()).sort()).toEqual([...names].sort());
  });

  it('stops at the first refusal a retry cannot fix, keeps every file, and logs one error with the fix', async () => {
    await dumpFiles(4);
    s3.injectFaults({ kind: 'status', status: 403, code: 'AccessDenied' });
    const logger = createListLogger();
    const result = await drain(logger);
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
    s3.injectFaults({ kind: 'status', status: 500, code: 'InternalError' }, { kind: 'status', status: 500, code: 'InternalError' }, { kind: 'status', status: 500, code: 'InternalError' });
    const result = await drain();
    expect(result).toMatchObject({ uploaded: 2, failed: 1, remaining: 1 });
    expect((await spool.listDump()).map((file) => file.name)).toEqual([names[0]]);
  });

  it('gives up a pass after three failures in a row when S3 is down, and delivers all on the next', async () => {
    await dumpFiles(6);
    await s3.setDown(true);
    const down = await drain();
    expect(down).toMatchObject({ uploaded: 0, failed: 3, remaining: 6 });
    expect(down.stoppedBy?.retryable).toBe(true);
    await s3.setDown(false);
    expect(await drain()).toEqual({ uploaded: 6, failed: 0, remaining: 0 });
    expect((await createStatusStore(storageDir, 'test').read()).dumpFailures).toEqual({});
  });
});
