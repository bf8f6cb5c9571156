// `service install` / `uninstall` for real into a staging root (--root, like DESTDIR): the system
// user in the root's /etc/passwd (systemd-sysusers), folders and modes, the unit, idempotency,
// refusals with a fix, and uninstall keeping data unless --purge. Runs the real CLI.
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/agent-site.ts';
import { useTempDirs } from '../../helpers/temp-dir.ts';

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;

const CONFIG = (storage: string, logs: string, extra = ''): string => [
  '[customer]', 'id = acme-001', '[locations]', 'helsinki = 60.1695, 24.9354, Helsinki',
  '[s3]', 'bucket = open-meteo-source-bucket', 'region = eu-north-1', 'credentials_file = credentials.ini',
  '[storage]', `dir = ${storage}`, '[logging]', `dir = ${logs}`, extra, '',
].join('\n');

/** A staging root with /etc/datapipe-agent/config.ini and credentials.ini, as install.sh leaves it. */
async function stagedSite(options: { storage?: string; logs?: string } = {}): Promise<{ root: string; config: string }> {
  const root = await tempDir();
  const configDir = join(root, 'etc', 'datapipe-agent');
  await mkdir(configDir, { recursive: true });
  const config = join(configDir, 'config.ini');
  await writeFile(config, CONFIG(options.storage ?? '/var/lib/datapipe-agent', options.logs ?? '/var/log/datapipe-agent'));
  await writeFile(join(configDir, 'credentials.ini'), 'aws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = not-a-real-secret\n', { mode: 0o644 });
  return { root, config };
}

function install(root: string, config: string, ...extra: string[]) {
  return runCli(['service', 'install', '-c', config, '--root', root, '--bin', join(root, 'usr/local/bin/datapipe-agent'), ...extra]);
}

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8).padStart(4, '0');
}

describe('service install into a staging root', () => {
  it('creates the user, the folders with private modes and the unit, and is idempotent', async () => {
    const { root, config } = await stagedSite();
    const first = await install(root, config);
    // validate warns about the 0644 credentials file, which the install then makes 0600.
    expect(first.stderr).toMatch(/^[^\n]*the credentials file can be read by other users[^\n]*chmod 600 [^\n]*credentials\.ini[^\n]*\n$/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('datapipe-agent.service written (runs /usr/local/bin/datapipe-agent)');
    expect(first.stdout).toContain('not registered with systemd');

    const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
    const entry = passwd.split('\n').find((line) => line.startsWith('datapipe-agent:'));
    expect(entry).toMatch(/^datapipe-agent:x:\d+:\d+:.*:\/var\/lib\/datapipe-agent:\/usr\/sbin\/nologin$/);
    const [uid, gid] = (entry ?? '').split(':').slice(2, 4).map(Number);
    expect(await readFile(join(root, 'etc/sysusers.d/datapipe-agent.conf'), 'utf8')).toContain('u datapipe-agent -');

    expect(await modeOf(join(root, 'etc/datapipe-agent'))).toBe('0750');
    expect(await modeOf(config)).toBe('0640');
    expect(await modeOf(join(root, 'etc/datapipe-agent/credentials.ini'))).toBe('0600');
    expect(await modeOf(join(root, 'var/lib/datapipe-agent'))).toBe('0750');
    expect(await modeOf(join(root, 'var/log/datapipe-agent'))).toBe('0750');
    expect(await modeOf(join(root, 'etc/systemd/system/datapipe-agent.service'))).toBe('0644');
    if (isRoot) {
      expect(await stat(join(root, 'etc/datapipe-agent'))).toMatchObject({ uid: 0, gid });
      expect(await stat(config)).toMatchObject({ uid: 0, gid });
      expect(await stat(join(root, 'etc/datapipe-agent/credentials.ini'))).toMatchObject({ uid, gid });
      expect(await stat(join(root, 'var/lib/datapipe-agent'))).toMatchObject({ uid, gid });
    }
    const unit = await readFile(join(root, 'etc/systemd/system/datapipe-agent.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/local/bin/datapipe-agent run --config /etc/datapipe-agent/config.ini\n');
    expect(unit).toContain('ReadWritePaths=/var/lib/datapipe-agent /var/log/datapipe-agent\n');
    expect(unit).not.toContain(root);

    // What an earlier manual run as root left behind is handed to the service user on re-install.
    await writeFile(join(root, 'var/lib/datapipe-agent/left-by-root.ndjson'), '{}\n');
    const second = await install(root, config);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('user datapipe-agent exists');
    expect(second.stdout).toContain('datapipe-agent.service unchanged');
    expect(await readFile(join(root, 'etc/systemd/system/datapipe-agent.service'), 'utf8')).toBe(unit);
    expect((await readFile(join(root, 'etc/passwd'), 'utf8')).match(/^datapipe-agent:/gm)).toHaveLength(1);
    if (isRoot) expect(await stat(join(root, 'var/lib/datapipe-agent/left-by-root.ndjson'))).toMatchObject({ uid, gid });
  });

  it('stages a config whose folders are given under the staging root too', async () => {
    const root = await tempDir();
    const { config } = await stagedSiteAt(root, join(root, 'srv/datapipe/var'), join(root, 'srv/datapipe/logs'));
    const result = await install(root, config);
    expect(result.code).toBe(0);
    const unit = await readFile(join(root, 'etc/systemd/system/datapipe-agent.service'), 'utf8');
    expect(unit).toContain('ReadWritePaths=/srv/datapipe/var /srv/datapipe/logs\n');
    expect(await modeOf(join(root, 'srv/datapipe/logs'))).toBe('0750');
  });

  it.each([
    ['a storage folder under /tmp (PrivateTmp hides it)', { storage: '/tmp/datapipe' }, /\[storage\] dir is \/tmp\/datapipe, inside \/tmp[\s\S]*fix: +Set \[storage\] dir = \/var\/lib\/datapipe-agent/],
    ['a log folder in a home folder', { logs: '/home/tech/logs' }, /\[logging\] dir is \/home\/tech\/logs, inside \/home/],
    ['/var as storage folder', { storage: '/var' }, /\[storage\] dir is \/var; the service user would own that folder/],
  ])('refuses %s, with the fix, before writing anything', async (_name, folders, message) => {
    const { root, config } = await stagedSite(folders);
    const result = await install(root, config);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a config outside /etc/datapipe-agent and says how to put it there', async () => {
    const root = await tempDir();
    const config = join(root, 'config.ini');
    await writeFile(config, CONFIG('/var/lib/datapipe-agent', '/var/log/datapipe-agent').replace('credentials_file = credentials.ini', ''));
    const result = await install(root, config);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: The service reads its config from /etc/datapipe-agent/, but /config.ini is elsewhere.');
    expect(result.stderr).toContain('fix:   Copy it there: sudo install -d -m 0750 /etc/datapipe-agent');
  });

  it('lists every config problem and exits 2 for an invalid config', async () => {
    const { root, config } = await stagedSite();
    await writeFile(config, (await readFile(config, 'utf8')).replace('region = eu-north-1', 'regio = eu-north-1'));
    const result = await install(root, config);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/s3\.regio: .*unknown key/i);
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);
  });

  it('uninstall removes the unit but keeps config, credentials, data and logs; --purge removes them', async () => {
    const { root, config } = await stagedSite();
    expect((await install(root, config)).code).toBe(0);
    const dumped = join(root, 'var/lib/datapipe-agent/dump/acme-001_x.ndjson');
    await mkdir(join(root, 'var/lib/datapipe-agent/dump'), { recursive: true });
    await writeFile(dumped, '{"undelivered":true}\n');

    const kept = await runCli(['service', 'uninstall', '--root', root]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('datapipe-agent.service stopped and removed');
    expect(kept.stdout).toContain("kept /etc/datapipe-agent, the data and the logs");
    await expect(stat(join(root, 'etc/systemd/system/datapipe-agent.service'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(dumped, 'utf8')).toBe('{"undelivered":true}\n');
    expect(await stat(join(root, 'etc/datapipe-agent/credentials.ini'))).toBeTruthy();

    const again = await runCli(['service', 'uninstall', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('datapipe-agent.service was not installed');

    // --purge finds the folders through the config (given here; normally named by the unit).
    const purged = await runCli(['service', 'uninstall', '--root', root, '--purge', '-c', config]);
    expect(purged.code).toBe(0);
    for (const gone of ['var/lib/datapipe-agent', 'var/log/datapipe-agent', 'etc/datapipe-agent', 'etc/sysusers.d/datapipe-agent.conf']) {
      await expect(stat(join(root, gone))).rejects.toThrow(/ENOENT/);
    }
  });

  it('--purge finds the data folders through the config the installed unit names', async () => {
    const root = await tempDir();
    const { config } = await stagedSiteAt(root, '/srv/datapipe/var', '/srv/datapipe/logs');
    expect((await install(root, config)).code).toBe(0);
    const purged = await runCli(['service', 'uninstall', '--root', root, '--purge']);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain('removed /srv/datapipe/var');
    await expect(stat(join(root, 'srv/datapipe/var'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(root, 'srv/datapipe/logs'))).rejects.toThrow(/ENOENT/);
  });

  it.runIf(isRoot)('needs root without a staging root, and says so before anything else', async () => {
    const { config } = await stagedSite();
    const result = await promisify(execFile)('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(process.cwd(), 'agent/cli/bin.ts'), 'service', 'install', '-c', config])
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: 'service install' needs root.");
    expect(result.stderr).toContain('fix:   Run it again with sudo');
  });
});

async function stagedSiteAt(root: string, storage: string, logs: string): Promise<{ config: string }> {
  const configDir = join(root, 'etc', 'datapipe-agent');
  await mkdir(configDir, { recursive: true });
  const config = join(configDir, 'config.ini');
  await writeFile(config, CONFIG(storage, logs).replace('credentials_file = credentials.ini', ''));
  return { config };
}
