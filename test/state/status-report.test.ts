// `status` after a recovery: the last error is shown as resolved (when, by what), without its fix,
// instead of looking current. Real CLI against the S3-protocol server and the Open-Meteo stand-in.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, runCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('status: a last error that is over', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    openMeteo = await startOpenMeteoStub();
  });
  afterEach(async () => {
    await openMeteo.close();
    await s3.close();
  });

  it('is shown as resolved by the upload that followed, without its fix', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    await s3.setDown(true);
    expect((await runCli(['once', '-c', site.configFile])).code).not.toBe(ExitCode.ok);
    const failing = await runCli(['status', '-c', site.configFile]);
    expect(failing.stdout).toMatch(/Last error: {3}20\S+ \(\d+ min ago\): s3 NetworkError: /);
    expect(failing.stdout).not.toContain('resolved');

    await s3.setDown(false);
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const text = (await runCli(['status', '-c', site.configFile])).stdout;
    expect(text).toMatch(/Last error: {3}resolved 20\S+ \(\d+ min ago\) by the upload of raw\/\S+\.ndjson; it was 20\S+ \(\d+ min ago\): s3 NetworkError: /);
    expect(text).not.toContain('Fix:');
    const json = JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout);
    expect(json.lastError).toMatchObject({ component: 's3', errorClass: 'NetworkError', resolved: { by: expect.stringMatching(/^the upload of raw\//) } });
    expect(json.lastError.resolved.at > json.lastError.at).toBe(true);
  });

  it('an Open-Meteo error is resolved by a cycle with every location ok', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    openMeteo.setDefault({ kind: 'status', status: 500 });
    await runCli(['once', '-c', site.configFile]);
    expect(JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout).lastError).toMatchObject({ component: 'open-meteo' });
    openMeteo.setDefault({ kind: 'ok' });
    await runCli(['once', '-c', site.configFile]);
    const json = JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout);
    expect(json.lastError.resolved.by).toBe('a cycle with all 2 location(s) ok');
  });
});
