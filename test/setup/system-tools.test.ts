// The suite provisions the Debian tools it runs (system-tools.ts). Checked with a PATH that lacks
// them and stand-ins for .ci/debian-packages.sh (the real one would run apt-get), plus the real
// script's no-op path on this machine, where the packages are installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTools, onPath, PACKAGES_SCRIPT, TEST_TOOLS } from './system-tools.ts';

const SQLFLUFF = [{ command: 'sqlfluff', debianPackage: 'sqlfluff' }];

describe('system tools provisioning for npm test', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const logs: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'datapipe-system-tools-'));
    mkdirSync(join(dir, 'bin'));
    symlinkSync('/bin/bash', join(dir, 'bin', 'bash'));
    env = { PATH: join(dir, 'bin'), BIN: join(dir, 'bin') };
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function script(body: string): string {
    const path = join(dir, 'debian-packages.sh');
    writeFileSync(path, `set -eu\n${body}\n`);
    return path;
  }

  it('runs the installer with the missing packages, then finds the installed command', () => {
    expect(onPath('sqlfluff', env)).toBe(false);
    const installer = script(`[ "$*" = sqlfluff ] || exit 9\nprintf '#!/bin/bash\\necho "sqlfluff, version 1.4.5"\\n' > "$BIN/sqlfluff"\n/bin/chmod +x "$BIN/sqlfluff"`);
    ensureTools(SQLFLUFF, { env, script: installer, log: (l) => logs.push(l) });
    expect(onPath('sqlfluff', env)).toBe(true);
    expect(logs).toEqual([expect.stringContaining('sqlfluff not on PATH: installing sqlfluff with')]);
  });

  it('says what failed and how to fix it when the installer cannot install', () => {
    const installer = script('echo "E: Unable to locate package sqlfluff" >&2\nexit 100');
    expect(() => ensureTools(SQLFLUFF, { env, script: installer, log: (l) => logs.push(l) })).toThrow(
      /could not install them \(exit 100\):\n {2}E: Unable to locate package sqlfluff\nInstall them once by hand with 'sudo apt-get install sqlfluff'/,
    );
  });

  it('fails clearly when the installer exits 0 but the command is still missing', () => {
    expect(() => ensureTools(SQLFLUFF, { env, script: script('exit 0'), log: () => {} })).toThrow(/sqlfluff are not installed.*\(exit 0\)/);
  });

  it('does not run the installer when every tool the suite needs is already there', () => {
    ensureTools(TEST_TOOLS, { script: join(dir, 'does-not-exist.sh'), log: (l) => logs.push(l) });
    expect(logs).toEqual([]);
  });

  it('.ci/debian-packages.sh is a quiet no-op when the packages are installed', () => {
    const result = spawnSync('bash', [PACKAGES_SCRIPT, ...new Set(TEST_TOOLS.map((tool) => tool.debianPackage))], { encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, '', '']);
  });
});
