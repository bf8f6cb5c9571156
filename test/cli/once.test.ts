// What `once` prints: what was new (observations, or only the status record), and one rule for
// the reason on stderr whether S3 or Open-Meteo failed. Real CLI, local S3 and Open-Meteo stand-ins.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, runCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('once: messages', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    // One fixed 15-minute slot: a second poll gets the same observations.
    openMeteo = await startOpenMeteoStub({ now: () => new Date('2026-12-01T10:05:00Z') });
  });
  afterEach(async () => {
    await openMeteo.close();
    await s3.close();
  });

  it('says when only the status record went up because the observations were unchanged', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    const first = await runCli(['once', '-c', site.configFile]);
    expect(first.code).toBe(ExitCode.ok);
    expect(first.stdout).toMatch(/^OK: 2 location\(s\) collected and uploaded \(\S+\.ndjson\); dump empty\.$/m);
    const second = await runCli(['once', '-c', site.configFile]);
    expect(second.code).toBe(ExitCode.ok);
    expect(second.stdout).toMatch(/^OK: 2 location\(s\) polled, no new observations \(2 unchanged since the last cycle \(Open-Meteo publishes new current values every 15 minutes\)\); only the status record was uploaded \(\S+\.ndjson\); dump empty\.$/m);
    expect(second.stdout).not.toContain('collected and uploaded');
  });

  it('gives the reason on stderr the same way for an Open-Meteo and an S3 failure', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    openMeteo.enqueue({ kind: 'drop-current', locationIndex: 1 });
    const source = await runCli(['once', '-c', site.configFile]);
    expect(source.code).toBe(ExitCode.partial);
    expect(source.stderr).toMatch(/^Delivered, but 1 location\(s\) could not be collected: jyvaskyla\. Last error: open-meteo bad-body: \S/m);
    expect(source.stderr).not.toContain('See the log');

    await s3.setDown(true);
    const sink = await runCli(['once', '-c', site.configFile]);
    expect(sink.code).toBe(ExitCode.failed);
    expect(sink.stderr).toMatch(/^Not everything is in S3: this cycle's file was dumped; 1 file\(s\) remain in the dump\. Last error: s3 NetworkError: \S.* Fix: /m);
  });
});
