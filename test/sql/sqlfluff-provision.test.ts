// The sqlfluff check provisions sqlfluff itself (sqlfluff-provision.ts). Checked with a PATH that
// lacks sqlfluff and stand-ins for .ci/sql-tools.sh (the real one would run apt-get), plus the
// real script's no-op path on this machine, where sqlfluff is installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSqlfluff, probeSqlfluff, SQL_TOOLS_SCRIPT } from './sqlfluff-provision.ts';

describe('sqlfluff provisioning for npm test', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const logs: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'datapipe-sqlfluff-provision-'));
    mkdirSync(join(dir, 'bin'));
    symlinkSync('/bin/bash', join(dir, 'bin', 'bash'));
    env = { PATH: join(dir, 'bin'), BIN: join(dir, 'bin') };
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function script(body: string): string {
    const path = join(dir, 'sql-tools.sh');
    writeFileSync(path, `set -eu\n${body}\n`);
    return path;
  }

  it('runs the installer when sqlfluff is not on PATH, then uses the installed one', () => {
    expect(probeSqlfluff(env)).toBeUndefined();
    const installer = script(`printf '#!/bin/bash\\necho "sqlfluff, version 1.4.5"\\n' > "$BIN/sqlfluff"\n/bin/chmod +x "$BIN/sqlfluff"`);
    expect(ensureSqlfluff({ env, script: installer, log: (l) => logs.push(l) })).toBe('sqlfluff, version 1.4.5');
    expect(logs).toEqual([expect.stringContaining('sqlfluff is not on PATH: installing it with')]);
  });

  it('says what failed and how to fix it when the installer cannot install', () => {
    const installer = script('echo "E: Unable to locate package sqlfluff" >&2\nexit 100');
    expect(() => ensureSqlfluff({ env, script: installer, log: (l) => logs.push(l) })).toThrow(
      /could not install it \(exit 100\):\n {2}E: Unable to locate package sqlfluff\nInstall it once by hand with 'sudo apt-get install sqlfluff'/,
    );
  });

  it('fails clearly when the installer exits 0 but sqlfluff is still missing', () => {
    expect(() => ensureSqlfluff({ env, script: script('exit 0'), log: () => {} })).toThrow(/could not install it \(exit 0\)/);
  });

  it('does not run the installer when sqlfluff is already there', () => {
    expect(ensureSqlfluff({ script: join(dir, 'does-not-exist.sh'), log: (l) => logs.push(l) })).toMatch(/sqlfluff, version/);
    expect(logs).toEqual([]);
  });

  it('.ci/sql-tools.sh is a quiet no-op when sqlfluff is installed', () => {
    const result = spawnSync('bash', [SQL_TOOLS_SCRIPT], { encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, '', '']);
  });
});
