// `status` after a recovery (the last error shown as resolved: when, by what, without its fix),
// and with a broken config (the state folder still shown). Real CLI against the S3-protocol
// server and the Open-Meteo stand-in.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { BUCKET, createSite, runCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('status for support staff', () => {
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

  it('with a config that no longer validates, lists its problems and still shows what the state folder knows (exit 2)', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const config = await readFile(site.configFile, 'utf8');
    await writeFile(site.configFile, config.replace(/^region = .*$/m, 'region = eu-nrth-1x').replace('timeout_seconds = 5', 'timeout_seconds = soon'));
    const text = await runCli(['status', '-c', site.configFile]);
    expect(text.code).toBe(ExitCode.invalidConfig);
    expect(text.stderr).toMatch(/open_meteo\.timeout_seconds: /);
    expect(text.stdout).toContain(`Config:       INVALID (the problems are listed above); what the state folder ${site.storageDir} knows:`);
    expect(text.stdout).toMatch(/customer acme-001/);
    expect(text.stdout).toMatch(/Last upload: {2}20\S+ \(\d+ min ago\): raw\/\S+\.ndjson/);
    expect(text.stdout).toMatch(/Last cycle: {3}20\S+ .*: ok, 2 ok \/ 0 failed, uploaded/);
    const json = await runCli(['status', '-c', site.configFile, '--json']);
    expect(json.code).toBe(ExitCode.invalidConfig);
    expect(JSON.parse(json.stdout)).toMatchObject({ configValid: false, customer: 'acme-001', lastCycle: { outcome: 'ok' }, locations: [{ id: 'helsinki' }, { id: 'jyvaskyla' }] });
  });

  it('with a config that no longer validates, reads [storage] dir as the loader does (a # inside a value is kept)', async () => {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    // The `ini` package would end the value at '#' (and JSON-decode a quoted "C:\new" on Windows),
    // so status would look in a folder `run` never wrote to.
    const config = (await readFile(site.configFile, 'utf8')).replace('dir = ./var\n', 'dir = ./site#2\n').replace('dir = ./var/logs', 'dir = ./site#2/logs');
    await writeFile(site.configFile, config);
    expect((await runCli(['once', '-c', site.configFile])).code).toBe(ExitCode.ok);
    await writeFile(site.configFile, config.replace('timeout_seconds = 5', 'timeout_seconds = soon'));
    const text = await runCli(['status', '-c', site.configFile]);
    expect(text.code).toBe(ExitCode.invalidConfig);
    expect(text.stdout).toContain(`what the state folder ${join(site.dir, 'site#2')} knows:`);
    expect(text.stdout).toMatch(/Last cycle: {3}20\S+ .*: ok, 2 ok \/ 0 failed, uploaded/);
  });
});
