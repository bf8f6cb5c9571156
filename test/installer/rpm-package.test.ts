// The .rpm from installer/release/rpm.ts, built from a fake binary: name and header, `rpm -qlp`
// listing and modes, and the scriptlets that map rpm's instance counts onto the Debian maintainer
// scripts (install/upgrade/erase).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPackageUnit } from '../../installer/release/linux-tree.ts';
import { buildFakeRelease, makeTempDir, type FakeRelease } from './release-fixture.ts';

const run = promisify(execFile);
let dir: string;
let release: FakeRelease;

beforeAll(async () => {
  dir = await makeTempDir('datapipe-rpm-test-');
  release = await buildFakeRelease(dir, '0.1.0', ['rpm']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the .rpm', () => {
  it('is named per version with the header fields rpm and dnf need', async () => {
    expect(release.packages.rpm.endsWith('/datapipe-agent-0.1.0.x86_64.rpm')).toBe(true);
    const { stdout } = await run('rpm', ['-qp', '--qf', '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}\n', release.packages.rpm]);
    expect(stdout.trim()).toBe('datapipe-agent|0.1.0|1|x86_64|Proprietary');
    const requires = (await run('rpm', ['-qpR', release.packages.rpm])).stdout;
    expect(requires).toMatch(/^glibc >= 2\.28$/m);
  });

  it('rpm -qlp lists the binary in /usr/bin, the unit, the sysusers file and the docs only', async () => {
    const { stdout } = await run('rpm', ['-qlp', '-v', release.packages.rpm]);
    const entries = stdout.trim().split('\n').map((line) => {
      const fields = line.split(/\s+/);
      return `${fields[0]} ${fields[2]}:${fields[3]} ${fields.at(-1)}`;
    });
    expect(entries).toEqual([
      '-rwxr-xr-x root:root /usr/bin/datapipe-agent',
      '-rw-r--r-- root:root /usr/lib/systemd/system/datapipe-agent.service',
      '-rw-r--r-- root:root /usr/lib/sysusers.d/datapipe-agent.conf',
      'drwxr-xr-x root:root /usr/share/doc/datapipe-agent',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/changelog',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/configuration.md',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/copyright',
      'drwxr-xr-x root:root /usr/share/doc/datapipe-agent/examples',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/examples/config.example.ini',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/support-guide.md',
      '-rw-r--r-- root:root /usr/share/doc/datapipe-agent/technician-guide.md',
    ]);
  });

  it('the unit runs /usr/bin/datapipe-agent as the service user with the package folders', async () => {
    // --dump: path size mtime sha256 mode ...; the packed unit is exactly renderPackageUnit().
    const dump = (await run('rpm', ['-qp', '--dump', release.packages.rpm])).stdout;
    const unitLine = dump.split('\n').find((line) => line.startsWith('/usr/lib/systemd/system/datapipe-agent.service '))!;
    const stdout = renderPackageUnit();
    expect(unitLine.split(' ')[3]).toBe(createHash('sha256').update(stdout).digest('hex'));
    expect(stdout).toMatch(/^ExecStart=\/usr\/bin\/datapipe-agent run --config \/etc\/datapipe-agent\/config\.ini$/m);
    expect(stdout).toMatch(/^ExecStartPre=\/usr\/bin\/datapipe-agent validate --config \/etc\/datapipe-agent\/config\.ini$/m);
    expect(stdout).toMatch(/^User=datapipe-agent$/m);
    expect(stdout).toMatch(/^WorkingDirectory=\/var\/lib\/datapipe-agent$/m);
    expect(stdout).toMatch(/^ReadWritePaths=\/var\/lib\/datapipe-agent \/var\/log\/datapipe-agent$/m);
    expect(stdout).toContain('# Installed by the datapipe-agent package');
  });

  it('scriptlets run the maintainer scripts with Debian arguments mapped from rpm counts', async () => {
    const { stdout } = await run('rpm', ['-qp', '--scripts', release.packages.rpm]);
    const section = (name: string) => stdout.split(/^(?=\w+ scriptlet)/m).find((part) => part.startsWith(`${name} scriptlet`)) ?? '';
    expect(section('postinstall')).toContain('if [ "$1" -ge 2 ]; then set -- configure upgrade; else set -- configure; fi');
    expect(section('postinstall')).toContain('start_if_configured "${2:-}"');
    expect(section('preuninstall')).toContain('if [ "$1" -eq 0 ]; then set -- remove; else set -- upgrade; fi');
    expect(section('preuninstall')).toContain('invoke stop "$NAME.service"');
    expect(section('postuninstall')).toContain('if [ "$1" -eq 0 ]; then set -- remove; else set -- upgrade; fi');
    // rpm has no purge: erase keeps data (the purge branch is never reached from rpm).
    expect(section('postuninstall')).toContain('purge)');
  });
});
