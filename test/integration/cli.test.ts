// The command line as technicians and support staff use it: help, version, validate, init,
// status; the legacy config; proxies; and secrets that must never show up anywhere.
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { EXAMPLE_IDENTITY } from '../../agent/config/example-identity.ts';
import { validateConfigFile } from '../../agent/config/load.ts';
import { defaultConfigFile } from '../../agent/service/layout.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { BUCKET, createSite, readLogs, recordsInBucket, runCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startTestProxy } from '../helpers/proxy.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const noProxyEnv = { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' };

describe('command line', () => {
  const tempDir = useTempDirs();

  it('prints its version and a help text with an example for every command', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`${packageJson.version} (commit source)`);
    const help = await runCli(['--help']);
    for (const command of ['run', 'once', 'drain', 'validate', 'status', 'init']) expect(help.stdout).toContain(command);
    for (const command of ['run', 'once', 'drain', 'validate', 'status', 'init']) {
      const commandHelp = await runCli([command, '--help']);
      expect(commandHelp.code).toBe(0);
      expect(commandHelp.stdout).toMatch(new RegExp(`Example:\\n  \\$ datapipe-agent ${command} -c `));
    }
  });

  it('reads the default config for the OS without -c, says so when it is missing, and rejects unknown commands with exit code 2', async () => {
    const missing = await runCli(['once']);
    expect(missing.code).toBe(ExitCode.invalidConfig);
    expect(missing.stderr).toContain(`${defaultConfigFile()}: file: config file not found`);
    expect(missing.stderr).toContain('No -c was given, so the default config for this OS was read; pass -c <file>');
    expect((await runCli(['frobnicate'])).code).toBe(ExitCode.invalidConfig);
  });

  it('refuses to deliver with the unedited example (its customer, bucket and locations, real AWS) unless --demo', async () => {
    const dir = await tempDir();
    const file = join(dir, 'config.ini');
    await copyFile('config.example.ini', file);
    for (const command of ['once', 'run', 'drain']) {
      const refused = await runCli([command, '-c', file]);
      expect(refused.code).toBe(ExitCode.invalidConfig);
      expect(refused.stderr).toContain("is config.example.ini unedited: the example's [customer] id (acme-001), [s3] bucket (open-meteo-source-bucket) and [locations]");
      expect(refused.stderr).toContain('add --demo');
    }
    // --demo lifts only this refusal: an empty dump drains without contacting anything.
    const demo = await runCli(['drain', '--demo', '-c', file]);
    expect(demo.stdout).toContain('OK: dump is empty');
    expect(demo.code).toBe(ExitCode.ok);
  });

  it("keeps the example identity the refusal looks for equal to config.example.ini's", async () => {
    const { config } = await validateConfigFile('config.example.ini');
    expect({ customerId: config?.customer.id, bucket: config?.s3.bucket, locationIds: config?.locations.map((l) => l.id) }).toEqual(EXAMPLE_IDENTITY);
  });

  it('validates the shipped example with no warnings', async () => {
    const result = await runCli(['validate', '-c', 'config.example.ini']);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toMatch(/valid \(0 warning\(s\)\): customer acme-001, 2 location\(s\)/);
  });

  it('lists every problem of a bad config as file:line: section.key and exits 2', async () => {
    const dir = await tempDir();
    const file = join(dir, 'config.ini');
    await writeFile(file, '[customer]\nid = acme 001\n\n[locations]\nhelsinki = 95, 24.9\n\n[s3]\nbucket = b\nregion = eu-north-1\ntimeout = 3\n');
    const result = await runCli(['validate', '-c', file]);
    expect(result.code).toBe(ExitCode.invalidConfig);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^${file}:2: customer\\.id: `)),
      expect.stringMatching(new RegExp(`^${file}:5: locations\\.helsinki: `)),
      expect.stringMatching(new RegExp(`^${file}:8: s3\\.bucket: `)),
      expect.stringMatching(new RegExp(`^${file}:10: s3\\.timeout: `)),
    ]));
    // The same lines stop any other command.
    const once = await runCli(['once', '-c', file]);
    expect(once.code).toBe(ExitCode.invalidConfig);
    expect(once.stderr).toContain(`${file}:2: customer.id: `);
  });

  it('says clearly when the config file does not exist', async () => {
    const result = await runCli(['validate', '-c', '/nonexistent/config.ini']);
    expect(result.code).toBe(ExitCode.invalidConfig);
    expect(result.stdout).toContain('/nonexistent/config.ini');
  });

  describe('with servers', () => {
    let s3: TestS3Server;
    let openMeteo: OpenMeteoStub;
    beforeEach(async () => {
      s3 = await startS3Server({ buckets: [BUCKET] });
      openMeteo = await startOpenMeteoStub({ requireApiKey: 'om-key-SECRET-42x' });
    });
    afterEach(async () => {
      await openMeteo.close();
      await s3.close();
    });

    it('creates its folders with init, idempotently', async () => {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo });
      for (let run = 0; run < 2; run += 1) {
        const result = await runCli(['init', '-c', site.configFile]);
        expect(result.code).toBe(ExitCode.ok);
        expect(result.stdout.match(/^ok {4}/gm)).toHaveLength(4);
      }
      expect((await readdir(site.storageDir)).sort()).toEqual(['dump', 'logs', 'state', 'temp']);
    });

    it('reads the legacy Python config, says what to paste instead, and collects with it', async () => {
      const site = await createSite({ dir: await tempDir(), s3, openMeteo, extra: '' });
      const modern = await readFile(site.configFile, 'utf8');
      const legacy = modern
        .replace('[customer]\nid = acme-001', '[Customer-info]\ncustomer_id = acme-001')
        .replace(/\[locations\]\n[^\n]*\n[^\n]*\n/, '[Location-info]\nlatitudes = 60.1695, 62.2415\nlongitudes = 24.9354, 25.7209\nnames = Helsinki, Jyväskylä\n')
        .replace('jitter_seconds = 0', 'jitter_seconds = 0\napi_key = om-key-SECRET-42x');
      await writeFile(site.configFile, legacy);
      const validated = await runCli(['validate', '-c', site.configFile]);
      expect(validated.code).toBe(ExitCode.ok);
      expect(validated.stdout).toMatch(/warning/);
      expect(validated.stdout).toContain('[customer]');
      expect(validated.stdout).toMatch(/helsinki = 60\.1695, 24\.9354, Helsinki/);
      const once = await runCli(['once', '-c', site.configFile]);
      expect(once.code).toBe(ExitCode.ok);
      const names = (await recordsInBucket(s3)).filter((e) => e.record.record_type === 'observation').map((e) => (e.record.location as { name: string }).name);
      expect(names).toEqual(['Helsinki', 'Jyväskylä']);
    });

    it('sends both Open-Meteo and S3 traffic through the configured proxy', async () => {
      const proxy = await startTestProxy();
      try {
        const site = await createSite({ dir: await tempDir(), s3, openMeteo, extra: `[network]\nproxy = ${proxy.url}\n` });
        const config = await readFile(site.configFile, 'utf8');
        await writeFile(site.configFile, config.replace('jitter_seconds = 0', 'jitter_seconds = 0\napi_key = om-key-SECRET-42x'));
        const result = await runCli(['once', '-c', site.configFile], { env: noProxyEnv });
        expect(result.code).toBe(ExitCode.ok);
        const targets = proxy.requests.map((request) => request.target);
        const omPort = new URL(openMeteo.url).port;
        const s3Port = new URL(s3.endpoint).port;
        expect(targets.some((target) => target.includes(`127.0.0.1:${omPort}`))).toBe(true);
        expect(targets.some((target) => target.includes(`127.0.0.1:${s3Port}`))).toBe(true);
        expect(await s3.listObjects(BUCKET)).toHaveLength(1);
      } finally {
        await proxy.close();
      }
    });

    it('never shows a secret in logs, status, stdout or stderr, whatever happens', async () => {
      const secretKey = 'S3-SECRET-abcdefghijklmnop0123456789';
      const site = await createSite({ dir: await tempDir(), s3, openMeteo, secretAccessKey: secretKey });
      const config = await readFile(site.configFile, 'utf8');
      await writeFile(site.configFile, config.replace('jitter_seconds = 0', 'jitter_seconds = 0\napi_key = om-key-SECRET-42x').replace('level = debug', 'level = debug'));
      const outputs = [
        await runCli(['validate', '-c', site.configFile]),
        await runCli(['once', '-c', site.configFile]),         // wrong S3 secret: refused
        await runCli(['drain', '-c', site.configFile]),
        await runCli(['status', '-c', site.configFile]),
        await runCli(['status', '-c', site.configFile, '--json']),
      ];
      expect(outputs[1]!.code).toBe(ExitCode.failed);
      const everything = [
        ...outputs.flatMap((o) => [o.stdout, o.stderr]),
        await readLogs(site),
        await readFile(join(site.storageDir, 'state', 'status.json'), 'utf8'),
      ].join('\n');
      expect(everything).toMatch(/SignatureDoesNotMatch/);
      expect(everything).not.toContain(secretKey);
      expect(everything).not.toContain('om-key-SECRET-42x');
      expect(openMeteo.requests.length).toBeGreaterThan(0);
    });
  });
});
