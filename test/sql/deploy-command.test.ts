// sql/deploy.sh against a test double of the external Snowflake CLI: a fake `snow` on PATH that
// records every invocation and fails on a chosen script, so the step order, the stop at the first
// error, the resume of the tasks after a failure and the validation of substituted values are
// checked without a Snowflake account. The script under test is the real sql/deploy.sh.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadScripts, SQL_DIR, TEARDOWN_FILE } from './sql-scripts.ts';

const FAKE_SNOW = `#!/bin/sh
# Test double of Snowflake CLI: records its arguments (one per line, calls separated by ---).
if [ "$1" = "--version" ]; then echo "Snowflake CLI version: \${FAKE_SNOW_VERSION:-3.24.1}"; exit 0; fi
for arg in "$@"; do printf '%s\\n' "$arg" >> "$FAKE_SNOW_LOG"; done
echo --- >> "$FAKE_SNOW_LOG"
file=''
while [ $# -gt 0 ]; do if [ "$1" = "-f" ]; then file="$2"; fi; shift; done
if [ -n "$FAKE_SNOW_FAIL_ON" ] && [ "$(basename "$file")" = "$FAKE_SNOW_FAIL_ON" ]; then
  echo "002003 (02000): SQL compilation error: fake failure in $file" >&2
  exit 1
fi
exit 0
`;

const VALID = [
  '-D', 'database=DATAPIPE',
  '-D', 'bucket=acme-datapipe',
  '-D', 'prefix=agents/',
  '-D', 'aws_role_arn=arn:aws:iam::123456789012:role/datapipe-snowflake-read',
  '-D', 'warehouse=COMPUTE_WH',
];
const FULL_ORDER = ['00_account.sql', '01_schemas.sql', '02_ingest.sql', '03_curated_tables.sql', '04_curated_views.sql',
  '05_streams.sql', '06_tasks.sql', '09_resume.sql', '07_monitoring.sql', '08_grants.sql'];

let dir: string;
let log: string;

interface Run { status: number | null; stderr: string; calls: string[][] }

function deploy(args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync('bash', [join(SQL_DIR, 'deploy.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_SNOW_LOG: log, FAKE_SNOW_FAIL_ON: '', ...env },
  });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8').split('---\n').filter((c) => c !== '').map((c) => c.split('\n').filter((a) => a !== ''))
    : [];
  return { status: result.status, stderr: result.stderr, calls };
}

const files = (run: Run) => run.calls.map((call) => basename(call[call.indexOf('-f') + 1] ?? ''));
const variables = (call: string[]) => call.flatMap((arg, i) => (call[i - 1] === '-D' ? [arg] : []));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'datapipe-deploy-'));
  log = join(dir, 'snow-calls.log');
  writeFileSync(join(dir, 'snow'), FAKE_SNOW);
  chmodSync(join(dir, 'snow'), 0o755);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sql/deploy.sh step order', () => {
  it('runs every script once, resumes the tasks right after 06, with STANDARD templating and the named connection', () => {
    const run = deploy(['-c', 'prod', ...VALID]);
    expect(run.status, run.stderr).toBe(0);
    expect(files(run)).toEqual(FULL_ORDER);
    for (const call of run.calls) {
      expect(call.slice(0, 5)).toEqual(['sql', '--enable-templating', 'STANDARD', '-c', 'prod']);
      expect(call[call.indexOf('-f') + 1]).toBe(join(SQL_DIR, basename(call[call.indexOf('-f') + 1] ?? '')));
    }
    expect(variables(run.calls[0] ?? [])).toEqual([
      'database=DATAPIPE', 'bucket=acme-datapipe', 'prefix=agents/',
      'aws_role_arn=arn:aws:iam::123456789012:role/datapipe-snowflake-read', 'warehouse=COMPUTE_WH',
    ]);
    expect(variables(run.calls[2] ?? [])).toEqual(['database=DATAPIPE', 'bucket=acme-datapipe', 'prefix=agents/']);
    expect(variables(run.calls[1] ?? [])).toEqual(['database=DATAPIPE']);
  });

  it('runs the alert last when alert_email is given, and 00 on its own connection or not at all', () => {
    const withAlert = deploy(['-c', 'prod', '--account-connection', 'admin', ...VALID, '-D', 'alert_email=ops@example.com']);
    expect(withAlert.status, withAlert.stderr).toBe(0);
    expect(files(withAlert)).toEqual([...FULL_ORDER, '10_alert.sql']);
    expect(withAlert.calls[0]?.[4]).toBe('admin');
    expect(withAlert.calls.slice(1).every((call) => call[4] === 'prod')).toBe(true);
    expect(variables(withAlert.calls.at(-1) ?? [])).toEqual(['database=DATAPIPE', 'warehouse=COMPUTE_WH', 'alert_email=ops@example.com']);
    rmSync(log);
    const skipped = deploy(['-c', 'prod', '--skip-account', ...VALID]);
    expect(files(skipped)).toEqual(FULL_ORDER.slice(1));
  });

  it('knows every numbered deploy script (a new script must get its place in deploy.sh)', () => {
    const scripts = loadScripts().map((s) => s.file).filter((file) => file !== TEARDOWN_FILE);
    expect([...FULL_ORDER, '10_alert.sql'].sort()).toEqual(scripts);
  });

  it('gives the same invocations when run again (the command itself keeps no state)', () => {
    const first = deploy(['-c', 'prod', ...VALID]);
    rmSync(log);
    const second = deploy(['-c', 'prod', ...VALID]);
    expect(second.calls).toEqual(first.calls);
  });
});

describe('sql/deploy.sh on a failing script', () => {
  it.each([
    ['03_curated_tables.sql', ['00_account.sql', '01_schemas.sql', '02_ingest.sql', '03_curated_tables.sql']],
    ['06_tasks.sql', [...FULL_ORDER.slice(0, 7), '09_resume.sql']],
    ['07_monitoring.sql', [...FULL_ORDER.slice(0, 9), '09_resume.sql']],
    ['08_grants.sql', [...FULL_ORDER, '09_resume.sql']],
    ['09_resume.sql', [...FULL_ORDER.slice(0, 8), '09_resume.sql']],
  ])('stops at %s and leaves no task suspended once 06 has run', (failing, expected) => {
    const run = deploy(['-c', 'prod', ...VALID], { FAKE_SNOW_FAIL_ON: failing });
    expect(run.status).toBe(1);
    expect(files(run)).toEqual(expected);
    expect(run.stderr).toContain(`deploy.sh: ${failing} failed; nothing after it ran`);
    if (expected.indexOf('06_tasks.sql') >= 0) expect(run.stderr).toContain('resuming the merge tasks after the failure');
    else expect(run.stderr).not.toContain('resuming');
  });

  it('says so when even the resume fails', () => {
    const run = deploy(['-c', 'prod', ...VALID], { FAKE_SNOW_FAIL_ON: '09_resume.sql' });
    expect(run.stderr).toContain('resuming failed too: run sql/09_resume.sql by hand');
  });
});

describe('sql/deploy.sh validates every value before anything runs', () => {
  const replace = (name: string, value: string) => VALID.map((arg) => (arg.startsWith(`${name}=`) ? `${name}=${value}` : arg));
  it.each([
    ['a quote in the bucket', replace('bucket', "acme'); DROP DATABASE DATAPIPE; --"), "-D bucket=acme'); DROP DATABASE DATAPIPE; --: not valid; expected an S3 bucket name"],
    ['an upper-case bucket', replace('bucket', 'Acme'), '-D bucket=Acme: not valid'],
    ['a prefix without the trailing /', replace('prefix', 'agents'), '-D prefix=agents: not valid'],
    ['a quote in the prefix', replace('prefix', "a'/"), "-D prefix=a'/: not valid"],
    ['a prefix with customer=', replace('prefix', 'x/customer=acme/'), "must not contain 'customer='"],
    ['a database with a dash', replace('database', 'DATA-PIPE'), '-D database=DATA-PIPE: not valid; expected letters, digits and _'],
    ['a malformed role ARN', replace('aws_role_arn', "arn:aws:iam::123:role/x'"), '-D aws_role_arn='],
    ['a warehouse with a ;', replace('warehouse', 'WH;DROP'), '-D warehouse=WH;DROP: not valid'],
    ['a bad email', [...VALID, '-D', "alert_email=ops@example.com'"], '-D alert_email='],
    ['a missing variable', VALID.slice(0, -2), '-D warehouse=... is missing'],
    ['an unknown variable', [...VALID, '-D', 'bukket=x'], '-D bukket: unknown variable'],
    ['a value without =', [...VALID, '-D', 'bucket'], '-D bucket: expected name=value'],
  ])('refuses %s', (_name, args, message) => {
    const run = deploy(['-c', 'prod', ...args]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });

  it('accepts an empty prefix (agents writing at the bucket root)', () => {
    const run = deploy(['-c', 'prod', ...replace('prefix', '')]);
    expect(run.status, run.stderr).toBe(0);
    expect(variables(run.calls[2] ?? [])).toContain('prefix=');
  });

  it('refuses to run without a connection or with a Snowflake CLI older than 3.10.0', () => {
    const noConnection = deploy(VALID);
    expect(noConnection.status).toBe(2);
    expect(noConnection.stderr).toContain('-c <connection> is required');
    const old = deploy(['-c', 'prod', ...VALID], { FAKE_SNOW_VERSION: '3.9.1' });
    expect(old.status).toBe(2);
    expect(old.stderr).toContain('Snowflake CLI 3.9.1 is too old');
    expect(old.calls).toEqual([]);
    expect(deploy(['-c', 'prod', ...VALID], { FAKE_SNOW_VERSION: '3.10.0' }).status).toBe(0);
  });
});
