// `service install` on an IAM Roles Anywhere site: `enroll` (run as root by the technician) left
// the private key 0600 in a 0700 folder; the install hands the key to the service user (still
// 0600) and opens the folder to its group, so the service can sign and nobody else can read.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/agent-site.ts';
import { useTempDirs } from '../../helpers/temp-dir.ts';
import { createTestCa } from '../../helpers/test-pki.ts';

const tempDir = useTempDirs();
const ARNS = [
  'trust_anchor_arn = arn:aws:rolesanywhere:eu-north-1:123456789012:trust-anchor/0b5c3d9e-1f2a-4b6c-8d7e-9f0a1b2c3d4e',
  'profile_arn = arn:aws:rolesanywhere:eu-north-1:123456789012:profile/6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d',
  'role_arn = arn:aws:iam::123456789012:role/datapipe-agent-sites',
];

const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8).padStart(4, '0');

describe('service install with [roles_anywhere]', () => {
  it('gives the enrolled private key to the service user, 0600, in a 0750 folder', async () => {
    const root = await tempDir();
    const configDir = join(root, 'etc', 'datapipe-agent');
    const config = join(configDir, 'config.ini');
    await mkdir(configDir, { recursive: true });
    await writeFile(config, [
      '[customer]', 'id = acme-001', '[locations]', 'helsinki = 60.1695, 24.9354, Helsinki',
      '[s3]', 'bucket = open-meteo-source-bucket', 'region = eu-north-1',
      '[roles_anywhere]', 'certificate_file = roles-anywhere/site.crt', 'private_key_file = roles-anywhere/site.key', ...ARNS,
      '[storage]', 'dir = /var/lib/datapipe-agent', '[logging]', 'dir = /var/log/datapipe-agent', '',
    ].join('\n'));
    const enroll = await runCli(['enroll', '-c', config]);
    expect(enroll.code).toBe(0);
    const keyDir = join(configDir, 'roles-anywhere');
    expect(await modeOf(keyDir)).toBe('0700');
    const ca = await createTestCa();
    await writeFile(join(keyDir, 'site.crt'), await ca.signCsr(await readFile(join(keyDir, 'site.csr'), 'utf8')));

    const result = await runCli(['service', 'install', '-c', config, '--root', root, '--bin', join(root, 'usr/local/bin/datapipe-agent'), '--no-start']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('/etc/datapipe-agent/roles-anywhere/site.key datapipe-agent 0600');
    expect(await modeOf(join(keyDir, 'site.key'))).toBe('0600');
    expect(await modeOf(keyDir)).toBe('0750');
    if (process.getuid?.() === 0) {
      const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
      const [uid, gid] = (passwd.split('\n').find((line) => line.startsWith('datapipe-agent:')) ?? '').split(':').slice(2, 4).map(Number);
      expect(await stat(join(keyDir, 'site.key'))).toMatchObject({ uid, gid });
      expect(await stat(keyDir)).toMatchObject({ uid: 0, gid });
    }
  });
});
