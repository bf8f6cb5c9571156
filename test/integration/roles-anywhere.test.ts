// IAM Roles Anywhere end to end with the real CLI: `enroll` creates the key and CSR, the test CA
// signs the CSR (as the company's CA would), `once` uploads with temporary credentials from the
// Roles Anywhere stand-in to the S3 test server (which accepts nothing else: no credentials file,
// no environment keys), and status and doctor warn before the certificate expires and fail once
// it has. The stand-ins verify the X.509 signature and SigV4 with the session token for real.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { once as onceEvent } from 'node:events';
import { BUCKET, readLogs, recordsInBucket, runCli, startCli, waitFor, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startRolesAnywhereServer, type TestRolesAnywhereServer } from '../helpers/roles-anywhere-server.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { createTestCa, type TestCa } from '../helpers/test-pki.ts';

const DAY_MS = 86_400_000;
const tempDir = useTempDirs();
let ca: TestCa;
let ra: TestRolesAnywhereServer;
let s3: TestS3Server;
let openMeteo: OpenMeteoStub;

// No AWS keys from the environment: only Roles Anywhere credentials can work.
const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };

let sessionLifetimeMs: number | undefined;

beforeEach(async () => {
  ca = await createTestCa();
  ra = await startRolesAnywhereServer({ trustAnchors: [ca.certificate], region: 'us-east-1', ...(sessionLifetimeMs ? { sessionLifetimeMs } : {}) });
  s3 = await startS3Server({
    buckets: [BUCKET],
    credentials: { accessKeyId: 'AKIANOBODYHASTHIS001', secretAccessKey: 'unused-static-secret-0000' },
    temporaryCredentials: (id) => {
      const issued = ra.lookup(id);
      return issued && { ...issued, writableKeys: new RegExp(`^raw/customer=${issued.subjectCommonName}/`) };
    },
  });
  openMeteo = await startOpenMeteoStub();
});

afterEach(async () => {
  await openMeteo.close();
  await s3.close();
  await ra.close();
});

async function createRolesAnywhereSite(schedule = '*/15 * * * *'): Promise<Site & { keyFile: string; certFile: string; csrFile: string }> {
  const dir = await tempDir();
  const configFile = join(dir, 'config.ini');
  await writeFile(configFile, [
    '[customer]', 'id = acme-001', '',
    '[locations]', 'helsinki = 60.1695, 24.9354, Helsinki', '',
    '[open_meteo]', `url = ${openMeteo.url}`, 'variables = temperature_2m, is_day', `schedule = ${schedule}`, 'jitter_seconds = 0', 'timeout_seconds = 5', '',
    '[s3]', `bucket = ${BUCKET}`, `region = ${s3.region}`, 'prefix = raw/', `endpoint = ${s3.endpoint}`, '',
    '[roles_anywhere]', 'certificate_file = ./pki/site.crt', 'private_key_file = ./pki/site.key',
    `trust_anchor_arn = ${ra.trustAnchorArn}`, `profile_arn = ${ra.profileArn}`, `role_arn = ${ra.roleArn}`,
    `endpoint = ${ra.endpoint}`, 'session_duration_seconds = 900', '',
    '[storage]', 'dir = ./var', '',
    '[logging]', 'dir = ./var/logs', 'level = debug', '',
  ].join('\n'));
  const pki = join(dir, 'pki');
  return { dir, configFile, storageDir: join(dir, 'var'), logDir: join(dir, 'var', 'logs'), keyFile: join(pki, 'site.key'), certFile: join(pki, 'site.crt'), csrFile: join(pki, 'site.csr') };
}

/** Objects in the bucket whose cycle started after `ms` (the cycle time is in the file name). */
async function uploadsAfter(ms: number): Promise<number> {
  const objects = await s3.listObjects(BUCKET);
  return objects.filter((o) => {
    const stamp = /_(\d{8}T\d{6})\d{0,3}Z_/.exec(o.key)?.[1];
    if (!stamp) return false;
    const at = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(9, 11), +stamp.slice(11, 13), +stamp.slice(13, 15));
    return at > ms;
  }).length;
}

function expectNoSecrets(...texts: string[]): void {
  for (const issued of ra.issued) {
    for (const text of texts) {
      expect(text).not.toContain(issued.secretAccessKey);
      expect(text).not.toContain(issued.sessionToken);
    }
  }
}

describe('IAM Roles Anywhere end to end', () => {
  describe('with 4-second sessions', () => {
    beforeAll(() => {
      sessionLifetimeMs = 4_000;
    });
    afterAll(() => {
      sessionLifetimeMs = undefined;
    });

    it('run keeps uploading across session expiries: each new session is issued before the last one expires', async () => {
      const site = await createRolesAnywhereSite('*/1 * * * * *');
      expect((await runCli(['enroll', '-c', site.configFile], { env })).code).toBe(ExitCode.ok);
      await writeFile(site.certFile, await ca.signCsr(await readFile(site.csrFile, 'utf8')));
      const child = startCli(['run', '-c', site.configFile], { env });
      try {
        await waitFor(() => ra.issued.length >= 3, 30_000, 'three Roles Anywhere sessions');
        const firstExpiry = ra.issued[0]!.expiration.getTime();
        await waitFor(async () => (await uploadsAfter(firstExpiry + 500)) > 0, 30_000, 'an upload after the first session expired');
      } finally {
        child.kill('SIGTERM');
        await onceEvent(child, 'close');
      }
      for (const [index, session] of ra.issued.entries()) {
        if (index > 0) expect(session.issuedAt.getTime()).toBeLessThan(ra.issued[index - 1]!.expiration.getTime());
      }
      const logs = await readLogs(site);
      expect(logs).not.toMatch(/ExpiredToken|CertificateExpired|RolesAnywhere[A-Z]/);
      expectNoSecrets(logs);
    });
  });

  it('enroll -> CA signs the CSR -> once uploads with temporary credentials -> status and doctor report the certificate', async () => {
    const site = await createRolesAnywhereSite();
    const enroll = await runCli(['enroll', '-c', site.configFile], { env });
    expect(enroll.stderr).toBe('');
    expect(enroll.code).toBe(ExitCode.ok);
    expect(enroll.stdout).toContain(`Private key created: ${site.keyFile}`);
    expect(enroll.stdout).toContain(`Certificate signing request written: ${site.csrFile}`);
    expect(enroll.stdout).toContain('subject:             CN=acme-001, OU=datapipe-agent');
    expect(enroll.stdout).toContain(ra.trustAnchorArn);
    const key = await readFile(site.keyFile, 'utf8');
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
    expect((await stat(site.keyFile)).mode & 0o777).toBe(0o600);
    const csr = await readFile(site.csrFile, 'utf8');
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(csr).not.toContain(key.split('\n')[1]);

    // Before the certificate exists, validate says what to do.
    const early = await runCli(['validate', '-c', site.configFile], { env });
    expect(early.code).toBe(ExitCode.invalidConfig);
    expect(early.stdout).toContain('roles_anywhere.certificate_file: the certificate file');
    expect(early.stdout).toContain('datapipe-agent enroll');

    await writeFile(site.certFile, await ca.signCsr(csr));
    const validate = await runCli(['validate', '-c', site.configFile], { env });
    expect(validate.stdout + validate.stderr).toContain('valid (0 warning(s))');

    const once = await runCli(['once', '-c', site.configFile], { env });
    expect(once.stderr).toBe('');
    expect(once.code).toBe(ExitCode.ok);
    const records = await recordsInBucket(s3);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.key.startsWith('raw/customer=acme-001/date='))).toBe(true);
    expect(ra.issued).toHaveLength(1);
    expect(ra.issued[0]?.subjectCommonName).toBe('acme-001');

    const status = await runCli(['status', '-c', site.configFile], { env });
    expect(status.stdout).toMatch(/Certificate: {2}ok: .*site\.crt: CN=acme-001, OU=datapipe-agent, serial \d+ valid until/);
    const doctor = await runCli(['doctor', '-c', site.configFile, '--json'], { env });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.id === 's3.credentials')?.status).toBe('PASS');
    expect(checks.find((c) => c.id === 's3.canary')?.status).toBe('PASS');
    expect(ra.issued).toHaveLength(2);

    // Re-running enroll keeps the key (renewal) and writes a CSR for the same key.
    const again = await runCli(['enroll', '-c', site.configFile], { env });
    expect(again.stdout).toContain(`Private key kept: ${site.keyFile}`);
    expect(await readFile(site.keyFile, 'utf8')).toBe(key);
    expect(again.stdout).toContain(enroll.stdout.match(/public key SHA-256: +([0-9a-f]{64})/)?.[1] ?? 'missing');

    expectNoSecrets(enroll.stdout, once.stdout, status.stdout, doctor.stdout, again.stdout, await readLogs(site));
  });

  it('enroll without [roles_anywhere], or with another config error, says what to fix and exits 2', async () => {
    const site = await createRolesAnywhereSite();
    const text = await readFile(site.configFile, 'utf8');
    await writeFile(site.configFile, text.slice(0, text.indexOf('[roles_anywhere]')) + text.slice(text.indexOf('[storage]')));
    const missing = await runCli(['enroll', '-c', site.configFile], { env });
    expect(missing.code).toBe(ExitCode.invalidConfig);
    expect(missing.stderr).toContain('roles_anywhere: the section is missing; add [roles_anywhere] with certificate_file');
    await writeFile(site.configFile, text.replace('id = acme-001', 'id = acme 001'));
    const invalid = await runCli(['enroll', '-c', site.configFile], { env });
    expect(invalid.code).toBe(ExitCode.invalidConfig);
    expect(invalid.stderr).toContain("customer.id: 'acme 001' is not a valid id");
    await expect(stat(site.keyFile)).rejects.toThrow(/ENOENT/);
  });

  it('warns 30 days before the certificate expires and fails, with what to do, once it has; data waits in the dump', async () => {
    const site = await createRolesAnywhereSite();
    expect((await runCli(['enroll', '-c', site.configFile], { env })).code).toBe(ExitCode.ok);
    const csr = await readFile(site.csrFile, 'utf8');

    await writeFile(site.certFile, await ca.signCsr(csr, { notAfter: new Date(Date.now() + 10 * DAY_MS) }));
    const status = await runCli(['status', '-c', site.configFile], { env });
    expect(status.stdout).toMatch(/Certificate: {2}WARN: .* expires on .* \(in 9 days, less than 30\)/);
    expect(status.stdout).toContain("Fix: Renew the certificate: run 'datapipe-agent enroll -c");
    const doctor = JSON.parse((await runCli(['doctor', '-c', site.configFile, '--json'], { env })).stdout) as { checks: { id: string; status: string; fix?: string }[] };
    expect(doctor.checks.find((c) => c.id === 's3.credentials')).toMatchObject({ status: 'WARN', fix: expect.stringContaining('enroll') });
    expect(doctor.checks.find((c) => c.id === 's3.canary')?.status).toBe('PASS');

    await writeFile(site.certFile, await ca.signCsr(csr, { notBefore: new Date(Date.now() - 40 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }));
    const expiredDoctor = await runCli(['doctor', '-c', site.configFile], { env });
    expect(expiredDoctor.code).toBe(1);
    expect(expiredDoctor.stdout).toMatch(/FAIL {2}S3 credentials: IAM Roles Anywhere certificate: .* expired on /);
    expect(expiredDoctor.stdout).toContain("Fix: Renew the certificate: run 'datapipe-agent enroll -c");
    const once = await runCli(['once', '-c', site.configFile], { env });
    expect(once.code).toBe(ExitCode.failed);
    expect(once.stderr).toContain('roles_anywhere.certificate_file: warning: the certificate expired on');
    const logs = await readLogs(site);
    expect(logs).toContain('CertificateExpired');
    expect((await recordsInBucket(s3)).filter((r) => r.key.includes('/date='))).toHaveLength(0);
    const expiredStatus = await runCli(['status', '-c', site.configFile], { env });
    expect(expiredStatus.stdout).toMatch(/Dump: {9}1 file\(s\)/);
    expect(expiredStatus.stdout).toMatch(/Certificate: {2}FAIL: .* expired on /);
    expectNoSecrets(status.stdout, expiredDoctor.stdout, once.stderr, logs);
  });
});
