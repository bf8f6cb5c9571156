// The [roles_anywhere] rules: the section is complete, not combined with s3.credentials_file,
// its ARNs agree on the region, and the files on this machine are a certificate and the key that
// belongs to it, issued for this customer id. An expired or soon expiring certificate is a
// warning, not an error: the agent must keep collecting into the dump while it is renewed (doctor
// and status say FAIL / WARN, and uploads fail with CertificateExpired until then).
import { stat } from 'node:fs/promises';
import { certificateExpiry, IdentityFileError, readSigningIdentity, subjectCommonName } from '../sinks/s3/roles-anywhere/identity.ts';
import { arnRegion } from './roles-anywhere-fields.ts';
import type { ConfigRule, RuleProblem } from './rules.ts';
import type { AgentConfig } from './types.ts';

const REQUIRED = ['certificate_file', 'private_key_file', 'trust_anchor_arn', 'profile_arn', 'role_arn'] as const;
const FIELD_OF: Record<(typeof REQUIRED)[number], keyof NonNullable<AgentConfig['rolesAnywhere']>> = {
  certificate_file: 'certificateFile',
  private_key_file: 'privateKeyFile',
  trust_anchor_arn: 'trustAnchorArn',
  profile_arn: 'profileArn',
  role_arn: 'roleArn',
};
const none: RuleProblem[] = [];

export const rolesAnywhereRules: ConfigRule[] = [
  {
    name: 'rolesAnywhereRequiredKeys',
    uses: [],
    check: async (config) => {
      const section = config.rolesAnywhere;
      if (!section) return none;
      return REQUIRED.filter((key) => section[FIELD_OF[key]] === '').map((key) => ({
        severity: 'error' as const,
        where: `roles_anywhere.${key}`,
        message: `is missing; [roles_anywhere] needs ${REQUIRED.join(', ')} (see config.example.ini), or remove the section to use s3.credentials_file or the AWS default chain`,
      }));
    },
  },
  {
    name: 'rolesAnywhereOrCredentialsFile',
    uses: ['s3.credentials_file'],
    check: async (config) =>
      config.rolesAnywhere && config.s3.credentialsFile
        ? [{ severity: 'error', where: 's3.credentials_file', message: 'cannot be combined with [roles_anywhere]; choose one credential source: remove credentials_file (and delete the key file) to use IAM Roles Anywhere, or remove the [roles_anywhere] section' }]
        : none,
  },
  {
    name: 'rolesAnywhereRegions',
    uses: ['roles_anywhere.trust_anchor_arn', 'roles_anywhere.profile_arn', 'roles_anywhere.region'],
    check: async (config) => {
      const section = config.rolesAnywhere;
      if (!section || section.trustAnchorArn === '' || section.profileArn === '') return none;
      const anchor = arnRegion(section.trustAnchorArn);
      const profile = arnRegion(section.profileArn);
      if (anchor !== profile) return [{ severity: 'error', where: 'roles_anywhere.profile_arn', message: `is in region ${profile ?? '?'} but trust_anchor_arn is in ${anchor ?? '?'}; the trust anchor and the profile must be in the same region` }];
      if (section.region !== anchor) return [{ severity: 'error', where: 'roles_anywhere.region', message: `'${section.region}' differs from the trust anchor's region ${anchor ?? '?'}; remove region (it defaults to the trust anchor's) or fix it` }];
      return none;
    },
  },
  {
    name: 'rolesAnywhereIdentity',
    uses: ['customer.id', 'roles_anywhere.certificate_file', 'roles_anywhere.private_key_file', 'roles_anywhere.certificate_chain_file'],
    check: checkIdentityFiles,
  },
];

async function checkIdentityFiles(config: AgentConfig): Promise<RuleProblem[]> {
  const section = config.rolesAnywhere;
  if (!section || section.certificateFile === '' || section.privateKeyFile === '') return none;
  let identity;
  try {
    identity = await readSigningIdentity(section);
  } catch (error) {
    if (!(error instanceof IdentityFileError)) throw error;
    return [{ severity: 'error', where: `roles_anywhere.${error.key}`, message: error.message }];
  }
  const problems: RuleProblem[] = [];
  const cn = subjectCommonName(identity.certificate);
  if (cn !== config.customer.id) {
    problems.push({ severity: 'error', where: 'roles_anywhere.certificate_file', message: `the certificate is issued to CN=${cn ?? '(none)'} but customer.id is '${config.customer.id}'; the IAM policy lets a certificate write only under customer=<its CN>/, so run 'datapipe-agent enroll' for this customer id and have the new CSR signed` });
  }
  const expiry = certificateExpiry(identity.certificate, new Date());
  const renew = `renew it: run 'datapipe-agent enroll -c ${config.file}' (keeps the key, writes a new CSR), have the CA sign it, and save the certificate over ${section.certificateFile}`;
  if (expiry.state === 'expired') problems.push({ severity: 'warning', where: 'roles_anywhere.certificate_file', message: `the certificate expired on ${expiry.validTo.toISOString()}; uploads fail until you ${renew} (collected data waits in the dump)` });
  else if (expiry.state === 'not-yet-valid') problems.push({ severity: 'warning', where: 'roles_anywhere.certificate_file', message: `the certificate is not valid before ${identity.certificate.validFrom}; check the server clock, or wait` });
  else if (expiry.state === 'expiring') problems.push({ severity: 'warning', where: 'roles_anywhere.certificate_file', message: `the certificate expires on ${expiry.validTo.toISOString()} (in ${expiry.daysLeft} days); ${renew}` });
  problems.push(...(await keyModeWarning(section.privateKeyFile)));
  return problems;
}

async function keyModeWarning(file: string): Promise<RuleProblem[]> {
  if (process.platform === 'win32') return none; // ACLs: enroll and the service installer restrict it.
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return none;
  return [{ severity: 'warning', where: 'roles_anywhere.private_key_file', message: `${file} can be read by other accounts on this machine (mode ${mode.toString(8).padStart(3, '0')}); run: chmod 600 '${file}'` }];
}
