// installer/install.sh for real, into a staging root (--root): first run creates the config from
// the example and stops for editing; a run with a config validates and installs; an upgrade keeps
// config, credentials, dump and logs; uninstall keeps data unless --purge. The "binary" is a
// small launcher for the agent from source (the release binary behaves the same).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_BIN, startCli } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const tempDir = useTempDirs();
const SCRIPT = resolve('installer/install.sh');
const TIMEOUT = 180_000;
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

function installSh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('bash', [SCRIPT, ...args], { timeout: TIMEOUT }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A launcher standing in for dist/datapipe-agent-linux-x64; `doctorMissing` mimics an older build. */
async function fakeBinary(dir: string, options: { tag?: string; doctorMissing?: boolean } = {}): Promise<string> {
  const file = join(dir, `datapipe-agent-linux-x64${options.tag ? `-${options.tag}` : ''}`);
  const doctor = options.doctorMissing ? `if [ "$1" = doctor ]; then echo "error: unknown command 'doctor'" >&2; exit 2; fi\n` : '';
  await writeFile(file, `#!/bin/sh\n# build ${options.tag ?? 'one'}\n${doctor}exec "${process.execPath}" "${AGENT_BIN}" "$@"\n`);
  await chmod(file, 0o755);
  return file;
}

const SITE_CONFIG = [
  '[customer]', 'id = acme-001', '[locations]', 'helsinki = 60.1695, 24.9354, Helsinki',
  '[s3]', 'bucket = open-meteo-source-bucket', 'region = eu-north-1', 'credentials_file = credentials.ini',
  '[storage]', 'dir = /var/lib/datapipe-agent', '[logging]', 'dir = /var/log/datapipe-agent', '',
].join('\n');

async function siteFiles(dir: string): Promise<{ config: string; credentials: string }> {
  const config = join(dir, 'my-config.ini');
  const credentials = join(dir, 'my-credentials.ini');
  await writeFile(config, SITE_CONFIG);
  await writeFile(credentials, 'aws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = not-a-real-secret\n');
  return { config, credentials };
}

describe('installer/install.sh', () => {
  it.runIf(hasShellcheck)('passes shellcheck', () => {
    const result = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('first run without a config creates one from the example and stops for editing; unedited it is refused, edited it installs', async () => {
    const dir = await tempDir();
    const root = join(dir, 'root');
    const binary = await fakeBinary(dir);
    const first = await installSh(['--root', root, '--binary', binary]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Next: edit /etc/datapipe-agent/config.ini');
    const created = await readFile(join(root, 'etc/datapipe-agent/config.ini'), 'utf8');
    expect(created).toMatch(/^\[storage\][\s\S]*^dir = \/var\/lib\/datapipe-agent$/m);
    expect(created).toMatch(/^\[logging\][\s\S]*^dir = \/var\/log\/datapipe-agent$/m);
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);
    expect(((await stat(join(root, 'usr/local/bin/datapipe-agent'))).mode & 0o777).toString(8)).toBe('755');

    const unedited = await installSh(['--root', root, '--binary', binary]);
    expect(unedited.code).not.toBe(0);
    expect(unedited.stdout + unedited.stderr).toContain('is config.example.ini unedited');
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);

    await writeFile(join(root, 'etc/datapipe-agent/config.ini'), created.replace(/^id = acme-001$/m, 'id = site-0042'));
    const second = await installSh(['--root', root, '--binary', binary]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('valid (0 warning(s))');
    expect(second.stdout).toContain('/etc/systemd/system/datapipe-agent.service written (runs /usr/local/bin/datapipe-agent)');
    expect(second.stdout).toContain('staging root: doctor skipped');
    expect(second.stdout).toContain('Logs: /var/log/datapipe-agent/');
  }, TIMEOUT);

  it('installs a given config and credentials; an upgrade keeps config, credentials, dump and logs', async () => {
    const dir = await tempDir();
    const root = join(dir, 'root');
    const { config, credentials } = await siteFiles(dir);
    const first = await installSh(['--root', root, '--binary', await fakeBinary(dir), '--config', config, '--credentials', credentials]);
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    const etc = join(root, 'etc/datapipe-agent');
    expect(await readFile(join(etc, 'config.ini'), 'utf8')).toBe(SITE_CONFIG);
    expect(((await stat(join(etc, 'credentials.ini'))).mode & 0o777).toString(8)).toBe('600');
    expect(((await stat(join(etc, 'config.ini'))).mode & 0o777).toString(8)).toBe('640');

    // The site runs for a while: edits its config, leaves undelivered files and logs.
    await writeFile(join(etc, 'config.ini'), `${SITE_CONFIG}; edited on site\n`);
    const dump = join(root, 'var/lib/datapipe-agent/dump/acme-001_20260101T000000Z_abc.ndjson');
    const log = join(root, 'var/log/datapipe-agent/agent-2026-01-01.log');
    await mkdir(join(root, 'var/lib/datapipe-agent/dump'), { recursive: true });
    await writeFile(dump, '{"record":1}\n');
    await writeFile(log, 'old log\n');

    const upgrade = await installSh(['--root', root, '--binary', await fakeBinary(dir, { tag: 'two' })]);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stderr).toContain('keeping /etc/datapipe-agent/config.ini');
    expect(await readFile(join(root, 'usr/local/bin/datapipe-agent'), 'utf8')).toContain('# build two');
    expect(await readFile(join(etc, 'config.ini'), 'utf8')).toBe(`${SITE_CONFIG}; edited on site\n`);
    expect(await readFile(join(etc, 'credentials.ini'), 'utf8')).toContain('not-a-real-secret');
    expect(await readFile(dump, 'utf8')).toBe('{"record":1}\n');
    expect(await readFile(log, 'utf8')).toBe('old log\n');

    const uninstall = await installSh(['--root', root, '--uninstall']);
    expect(uninstall.code).toBe(0);
    await expect(stat(join(root, 'usr/local/bin/datapipe-agent'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(dump, 'utf8')).toBe('{"record":1}\n');
    expect(await readFile(join(etc, 'credentials.ini'), 'utf8')).toContain('not-a-real-secret');
  }, TIMEOUT);

  it('uninstall --purge removes config, data and logs', async () => {
    const dir = await tempDir();
    const root = join(dir, 'root');
    const { config, credentials } = await siteFiles(dir);
    expect((await installSh(['--root', root, '--binary', await fakeBinary(dir), '--config', config, '--credentials', credentials])).code).toBe(0);
    const purge = await installSh(['--root', root, '--uninstall', '--purge']);
    expect(purge.code).toBe(0);
    for (const gone of ['etc/datapipe-agent', 'var/lib/datapipe-agent', 'var/log/datapipe-agent', 'usr/local/bin/datapipe-agent']) {
      await expect(stat(join(root, gone))).rejects.toThrow(/ENOENT/);
    }
  }, TIMEOUT);

  it('treats a build without doctor as a warning, and stops with exit 2 on an invalid config', async () => {
    const dir = await tempDir();
    const root = join(dir, 'root');
    const { config, credentials } = await siteFiles(dir);
    const binary = await fakeBinary(dir, { doctorMissing: true });
    const result = await installSh(['--root', root, '--binary', binary, '--config', config, '--credentials', credentials, '--doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("warn  this agent build has no 'doctor' command; skipped the self-test");

    await writeFile(config, SITE_CONFIG.replace('region = eu-north-1', 'region ='));
    const invalid = await installSh(['--root', root, '--binary', binary, '--config', config]);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toMatch(/s3\.region: /);
    expect(invalid.stderr).toContain('error: the config is invalid');
  }, TIMEOUT);

  it('says what is missing: the binary, or an unknown argument', async () => {
    const dir = await tempDir();
    const missing = await installSh(['--root', dir, '--binary', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: --binary ${join(dir, 'nope')}: no such file`);
    const unknown = await installSh(['--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown argument: --frobnicate');
  });

  describe('waits for the first confirmed upload', () => {
    /** A site config whose folders are the service's, inside the staging root, and whose peers are local. */
    async function localSite(dir: string, s3: TestS3Server, openMeteoUrl: string): Promise<{ config: string; credentials: string }> {
      const config = join(dir, 'site.ini');
      const credentials = join(dir, 'site-credentials.ini');
      await writeFile(config, [
        '[customer]', 'id = wait-test-042', '[locations]', 'oulu = 65.0121, 25.4651, Oulu',
        '[open_meteo]', `url = ${openMeteoUrl}`, 'schedule = 0 * * * *', 'jitter_seconds = 0', 'timeout_seconds = 5',
        '[s3]', 'bucket = wait-test-bucket', `region = ${s3.region}`, `endpoint = ${s3.endpoint}`, 'credentials_file = credentials.ini',
        'retry_schedule = 0 * * * *', '[storage]', `dir = ${join(dir, 'root/var/lib/datapipe-agent')}`, '[logging]', `dir = ${join(dir, 'root/var/log/datapipe-agent')}`, '',
      ].join('\n'));
      await writeFile(credentials, `aws_access_key_id = ${s3.credentials.accessKeyId}\naws_secret_access_key = ${s3.credentials.secretAccessKey}\n`);
      return { config, credentials };
    }

    /** install.sh --wait in a staging root; the "service" (`run`) starts once the script waits, as systemd would have. */
    async function installAndRun(args: string[], startService: boolean): Promise<{ code: number; stdout: string }> {
      const script = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let service: ChildProcess | undefined;
      let stdout = '';
      script.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (startService && !service && stdout.includes('wait  for the first upload')) {
          service = startCli(['run', '-c', join(args[args.indexOf('--root') + 1]!, 'etc/datapipe-agent/config.ini')]);
        }
      });
      const code = await new Promise<number>((done) => script.on('close', (exit) => done(exit ?? 1)));
      if (service) {
        service.kill('SIGTERM');
        await new Promise((done) => service!.once('close', done));
      }
      return { code, stdout };
    }

    it('prints the first upload the service confirmed, within seconds of its start', async () => {
      const dir = await tempDir();
      const s3 = await startS3Server({ buckets: ['wait-test-bucket'] });
      const openMeteo = await startOpenMeteoStub();
      try {
        const { config, credentials } = await localSite(dir, s3, openMeteo.url);
        const startedAt = Date.now();
        const result = await installAndRun(['--root', join(dir, 'root'), '--binary', await fakeBinary(dir), '--config', config, '--credentials', credentials, '--wait'], true);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/ok {4}first upload confirmed at 20\d\d-\S+Z: \S*wait-test-042_\S+\.ndjson/);
        expect(Date.now() - startedAt).toBeLessThan(60_000);
        expect((await s3.listObjects('wait-test-bucket')).length).toBeGreaterThanOrEqual(1);
      } finally {
        await openMeteo.close();
        await s3.close();
      }
    }, TIMEOUT);

    it('says promptly when the first cycle could not upload, with what status knows and where to look', async () => {
      const dir = await tempDir();
      const s3 = await startS3Server({ buckets: ['wait-test-bucket'] });
      const openMeteo = await startOpenMeteoStub();
      try {
        await s3.setDown(true);
        const { config, credentials } = await localSite(dir, s3, openMeteo.url);
        const startedAt = Date.now();
        const result = await installAndRun(['--root', join(dir, 'root'), '--binary', await fakeBinary(dir), '--config', config, '--credentials', credentials, '--wait'], true);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('warn  the first cycle finished but nothing was uploaded; the data is kept and retried.');
        expect(result.stdout).toMatch(/Last cycle: .*dumped/);
        expect(result.stdout).toContain('Look at: the \'Last error\' line above, the newest log in /var/log/datapipe-agent');
        expect(Date.now() - startedAt).toBeLessThan(90_000);
      } finally {
        await openMeteo.close();
        await s3.close();
      }
    }, TIMEOUT);

    it('gives up after --wait-seconds when nothing happens', async () => {
      const dir = await tempDir();
      const s3 = await startS3Server({ buckets: ['wait-test-bucket'] });
      try {
        const { config, credentials } = await localSite(dir, s3, 'http://127.0.0.1:9/v1/forecast');
        const result = await installAndRun(['--root', join(dir, 'root'), '--binary', await fakeBinary(dir), '--config', config, '--credentials', credentials, '--wait', '--wait-seconds', '3'], false);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('warn  no upload confirmed within 3 s; the service keeps trying.');
        expect(result.stdout).toContain('Last upload:  never');
      } finally {
        await s3.close();
      }
    }, TIMEOUT);
  });
});
