// The .deb from installer/release/deb.ts, built from a fake binary: control fields, the file list,
// the unit it installs, lintian, and the maintainer scripts through a real `dpkg --root` life
// cycle in a staging root (install without config -> not enabled; install with config -> enabled;
// upgrade keeps config and spool; remove keeps data; purge deletes it).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeRelease, makeTempDir, type FakeRelease } from './release-fixture.ts';

const run = promisify(execFile);
let dir: string;
let v1: FakeRelease;
let v2: FakeRelease;

beforeAll(async () => {
  dir = await makeTempDir('datapipe-deb-test-');
  v1 = await buildFakeRelease(dir, '0.1.0', ['deb']);
  v2 = await buildFakeRelease(dir, '0.1.1', ['deb']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the .deb', () => {
  it('is named per version and has the control fields dpkg and apt need', async () => {
    expect(v1.packages.deb.endsWith('/datapipe-agent_0.1.0_amd64.deb')).toBe(true);
    const { stdout } = await run('dpkg-deb', ['-f', v1.packages.deb, 'Package', 'Version', 'Architecture', 'Depends', 'Maintainer', 'Installed-Size']);
    expect(stdout).toContain('Package: datapipe-agent\n');
    expect(stdout).toContain('Version: 0.1.0\n');
    expect(stdout).toContain('Architecture: amd64\n');
    expect(stdout).toMatch(/Depends: libc6 \(>= 2\.28\), libgcc-s1, libstdc\+\+6 \(>= 5\), passwd \| systemd\n/);
    expect(stdout).toMatch(/Installed-Size: \d+\n/);
  });

  it('installs the binary, the unit, the sysusers file and the docs, and nothing in /etc or /var', async () => {
    const { stdout } = await run('dpkg-deb', ['-c', v1.packages.deb]);
    const files = stdout.split('\n').filter((line) => line.startsWith('-')).map((line) => line.split(/\s+/).at(-1)!.replace(/^\.\//, '/'));
    expect(files).toEqual([
      '/usr/bin/datapipe-agent',
      '/usr/lib/systemd/system/datapipe-agent.service',
      '/usr/lib/sysusers.d/datapipe-agent.conf',
      '/usr/share/doc/datapipe-agent/changelog.gz',
      '/usr/share/doc/datapipe-agent/configuration.md',
      '/usr/share/doc/datapipe-agent/copyright',
      '/usr/share/doc/datapipe-agent/examples/config.example.ini',
      '/usr/share/doc/datapipe-agent/support-guide.md',
      '/usr/share/doc/datapipe-agent/technician-guide.md',
      '/usr/share/lintian/overrides/datapipe-agent',
    ]);
    expect(stdout).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/bin\/datapipe-agent/);
  });

  it('has no lintian errors or warnings beyond the justified overrides', async () => {
    const result = await run('lintian', ['--tag-display-limit', '0', v1.packages.deb]).catch((error: { stdout: string; code: number }) => error);
    const tags = result.stdout.split('\n').filter((line) => /^[EW]: /.test(line));
    expect(tags).toEqual([]);
  }, 120_000);
});

describe('dpkg --root life cycle (maintainer scripts, systemd not running)', () => {
  let root: string;
  const dpkg = (...args: string[]) => run('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-depends', '--log=/dev/null', ...args]);
  const wantsLink = () => join(root, 'etc/systemd/system/multi-user.target.wants/datapipe-agent.service');

  beforeAll(async () => {
    root = join(dir, 'root');
    await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'var/lib/dpkg/status'), '');
    await writeFile(join(root, 'var/lib/dpkg/available'), '');
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
  });

  it('install without a config: user and folders created, service not enabled, the next step printed', async () => {
    const { stdout } = await dpkg('-i', v1.packages.deb);
    expect(stdout).toContain('installed, not enabled: /etc/datapipe-agent/config.ini does not exist yet');
    expect(stdout).toContain('systemctl enable --now datapipe-agent');
    const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
    const user = passwd.split('\n').find((line) => line.startsWith('datapipe-agent:'))!.split(':');
    expect(user.slice(5)).toEqual(['/var/lib/datapipe-agent', '/usr/sbin/nologin']);
    const uid = Number(user[2]);
    for (const [folder, owner] of [['etc/datapipe-agent', 0], ['var/lib/datapipe-agent', uid], ['var/log/datapipe-agent', uid]] as const) {
      const info = await stat(join(root, folder));
      expect({ folder, mode: info.mode & 0o777, uid: info.uid, gid: info.gid }).toEqual({ folder, mode: 0o750, uid: owner, gid: Number(user[3]) });
    }
    expect(existsSync(wantsLink())).toBe(false);
  });

  it('reinstalling with a config present enables the service (offline, systemctl --root)', async () => {
    await dpkg('--purge', 'datapipe-agent');
    await mkdir(join(root, 'etc/datapipe-agent'), { recursive: true });
    await writeFile(join(root, 'etc/datapipe-agent/config.ini'), '[customer]\nid = plant-7\n');
    const { stdout } = await dpkg('-i', v1.packages.deb);
    expect(stdout).toContain('service enabled');
    expect(await readlink(wantsLink())).toBe('/usr/lib/systemd/system/datapipe-agent.service');
  });

  it('upgrade replaces the binary and keeps config, credentials and the spool', async () => {
    await writeFile(join(root, 'etc/datapipe-agent/credentials.ini'), 'aws_access_key_id = AKIAEXAMPLE\n');
    await mkdir(join(root, 'var/lib/datapipe-agent/dump'), { recursive: true });
    await writeFile(join(root, 'var/lib/datapipe-agent/dump/undelivered.ndjson'), '{"x":1}\n');
    await dpkg('-i', v2.packages.deb);
    expect(await readFile(join(root, 'usr/bin/datapipe-agent'), 'utf8')).toContain('0.1.1 (commit fake)');
    expect(await readFile(join(root, 'etc/datapipe-agent/config.ini'), 'utf8')).toBe('[customer]\nid = plant-7\n');
    expect(await readFile(join(root, 'etc/datapipe-agent/credentials.ini'), 'utf8')).toContain('AKIAEXAMPLE');
    expect(await readFile(join(root, 'var/lib/datapipe-agent/dump/undelivered.ndjson'), 'utf8')).toBe('{"x":1}\n');
    const { stdout } = await dpkg('-s', 'datapipe-agent');
    expect(stdout).toContain('Version: 0.1.1');
  });

  it('remove deletes the program and keeps config, data and logs; purge deletes them (the user stays)', async () => {
    await dpkg('--remove', 'datapipe-agent');
    expect(existsSync(join(root, 'usr/bin/datapipe-agent'))).toBe(false);
    expect(existsSync(join(root, 'usr/lib/systemd/system/datapipe-agent.service'))).toBe(false);
    expect(existsSync(wantsLink())).toBe(false);
    expect(await readFile(join(root, 'var/lib/datapipe-agent/dump/undelivered.ndjson'), 'utf8')).toBe('{"x":1}\n');
    expect(existsSync(join(root, 'etc/datapipe-agent/config.ini'))).toBe(true);
    expect(existsSync(join(root, 'var/log/datapipe-agent'))).toBe(true);

    await dpkg('--purge', 'datapipe-agent');
    for (const folder of ['etc/datapipe-agent', 'var/lib/datapipe-agent', 'var/log/datapipe-agent']) expect(existsSync(join(root, folder))).toBe(false);
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).toContain('datapipe-agent:');
  });
});
