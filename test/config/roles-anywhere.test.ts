// [roles_anywhere] in config.ini: shape (ARNs, ranges), the section's required keys, and the
// rules that read the certificate and key on this machine. Table-driven, with real files from a
// throw-away CA.
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfigFile } from '../../agent/config/load.ts';
import { editedConfig, useTempDirs } from '../fixtures/config/temp-config.ts';
import { createTestCa } from '../helpers/test-pki.ts';

const makeDir = useTempDirs();
const DAY_MS = 86_400_000;
const TA = 'arn:aws:rolesanywhere:eu-north-1:123456789012:trust-anchor/0b5c3d9e-1f2a-4b6c-8d7e-9f0a1b2c3d4e';
const PROFILE = 'arn:aws:rolesanywhere:eu-north-1:123456789012:profile/6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
const ROLE = 'arn:aws:iam::123456789012:role/datapipe-agent-sites';

type Pems = { certificatePem: string; privateKeyPem: string };
let site: Pems;
let other: Pems;
let expired: Pems;
let expiring: Pems;
let wrongCn: Pems;

beforeAll(async () => {
  const ca = await createTestCa();
  site = await ca.issue('CN=acme-001, OU=datapipe-agent');
  other = await ca.issue('CN=acme-001, OU=datapipe-agent');
  expired = await ca.issue('CN=acme-001, OU=datapipe-agent', { notBefore: new Date(Date.now() - 40 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
  expiring = await ca.issue('CN=acme-001, OU=datapipe-agent', { notAfter: new Date(Date.now() + 10 * DAY_MS) });
  wrongCn = await ca.issue('CN=beta, OU=datapipe-agent', {});
});

const section = (overrides: Record<string, string | undefined> = {}) => {
  const keys: Record<string, string | undefined> = { certificate_file: 'site.crt', private_key_file: 'site.key', trust_anchor_arn: TA, profile_arn: PROFILE, role_arn: ROLE, ...overrides };
  return ['[roles_anywhere]', ...Object.entries(keys).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} = ${v}`)].join('\n');
};

async function validate(text: string, pems: Pems | null = site, keyMode = 0o600, extra: Record<string, string> = {}) {
  const dir = await makeDir({ 'config.ini': text, ...extra, ...(pems ? { 'site.crt': pems.certificatePem, 'site.key': pems.privateKeyPem } : {}) });
  if (pems) await chmod(join(dir, 'site.key'), keyMode);
  return { dir, ...(await validateConfigFile(join(dir, 'config.ini'))) };
}

describe('[roles_anywhere]', () => {
  it('accepts a complete section and fills region, endpoint and duration from the defaults', async () => {
    const { dir, config, problems } = await validate(editedConfig({ 18: `[network]\n${section()}` }));
    expect(problems).toEqual([]);
    expect(config?.rolesAnywhere).toEqual({
      certificateFile: join(dir, 'site.crt'), privateKeyFile: join(dir, 'site.key'), trustAnchorArn: TA, profileArn: PROFILE, roleArn: ROLE,
      region: 'eu-north-1', endpoint: 'https://rolesanywhere.eu-north-1.amazonaws.com', sessionDurationSeconds: 3600,
    });
  });

  it.each([
    { name: 'a profile ARN as trust anchor', text: section({ trust_anchor_arn: PROFILE }), where: 'roles_anywhere.trust_anchor_arn', fragment: 'it is a profile ARN, not a trust-anchor ARN; expected arn:aws:rolesanywhere:' },
    { name: 'a role ARN that is a user', text: section({ role_arn: 'arn:aws:iam::123456789012:user/bob' }), where: 'roles_anywhere.role_arn', fragment: 'is not an IAM role ARN' },
    { name: 'a missing profile', text: section({ profile_arn: undefined }), where: 'roles_anywhere.profile_arn', fragment: 'is missing; [roles_anywhere] needs certificate_file, private_key_file, trust_anchor_arn, profile_arn, role_arn' },
    { name: 'a too short session', text: section({ session_duration_seconds: '60' }), where: 'roles_anywhere.session_duration_seconds', fragment: 'expected a whole number from 900 to 43200 seconds' },
    { name: 'another region', text: section({ region: 'us-east-1' }), where: 'roles_anywhere.region', fragment: "differs from the trust anchor's region eu-north-1" },
    { name: 'a profile in another region', text: section({ profile_arn: PROFILE.replace('eu-north-1', 'eu-west-1') }), where: 'roles_anywhere.profile_arn', fragment: 'the trust anchor and the profile must be in the same region' },
    { name: 'a typo in a key', text: `${section()}\nrole = ${ROLE}`, where: 'roles_anywhere.role', fragment: 'unknown key' },
  ])('rejects $name', async ({ text, where, fragment }) => {
    const { config, problems } = await validate(editedConfig({ 18: `[network]\n${text}` }));
    expect(config).toBeUndefined();
    expect(problems.find((p) => p.where === where)?.message).toContain(fragment);
  });

  it('cannot be combined with s3.credentials_file', async () => {
    const credentials = '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n';
    const { problems } = await validate(editedConfig({ 12: 'prefix = raw/\ncredentials_file = credentials.ini', 18: `[network]\n${section()}` }), site, 0o600, { 'credentials.ini': credentials });
    expect(problems.find((p) => p.where === 's3.credentials_file' && p.severity === 'error')?.message).toContain('cannot be combined with [roles_anywhere]');
  });

  it.each([
    { name: 'no certificate yet', pems: null, where: 'roles_anywhere.certificate_file', fragment: "does not exist; run 'datapipe-agent enroll -c <config.ini>'" },
    { name: 'the key of another certificate', pems: 'mismatch', where: 'roles_anywhere.private_key_file', fragment: "is not the key of the certificate" },
    { name: 'a certificate for another customer', pems: 'wrongCn', where: 'roles_anywhere.certificate_file', fragment: "issued to CN=beta but customer.id is 'acme-001'" },
  ] as const)('reports $name as an error with the fix', async ({ pems, where, fragment }) => {
    const files = pems === 'mismatch' ? { certificatePem: site.certificatePem, privateKeyPem: other.privateKeyPem } : pems === 'wrongCn' ? wrongCn : null;
    const { config, problems } = await validate(editedConfig({ 18: `[network]\n${section()}` }), files);
    expect(config).toBeUndefined();
    const problem = problems.find((p) => p.where === where);
    expect(problem?.severity).toBe('error');
    expect(problem?.message).toContain(fragment);
    expect(problem?.line).toBeGreaterThan(18);
    expect(problems.map((p) => p.message).join('\n')).not.toContain(other.privateKeyPem.split('\n')[1]);
  });

  it.each([
    { name: 'expired', pems: () => expired, fragment: 'the certificate expired on' },
    { name: 'expiring within 30 days', pems: () => expiring, fragment: 'the certificate expires on' },
  ])('warns (the agent keeps collecting) when the certificate is $name', async ({ pems, fragment }) => {
    const { config, problems } = await validate(editedConfig({ 18: `[network]\n${section()}` }), pems());
    expect(config).toBeDefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', where: 'roles_anywhere.certificate_file' });
    expect(problems[0]?.message).toContain(fragment);
    expect(problems[0]?.message).toContain("run 'datapipe-agent enroll -c");
  });

  it.runIf(process.platform !== 'win32')('warns when other accounts can read the private key', async () => {
    const { problems } = await validate(editedConfig({ 18: `[network]\n${section()}` }), site, 0o644);
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', where: 'roles_anywhere.private_key_file', message: expect.stringContaining('chmod 600') })]);
  });
});
