// Doctor's credentials line for IAM Roles Anywhere sites: the certificate and key are readable,
// belong together and are valid (WARN within 30 days of expiry, FAIL when expired), and the
// provider the S3 canary below uses to prove CreateSession works end to end.
import type { AgentConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { describeCertificate } from '../sinks/s3/roles-anywhere/certificate-status.ts';
import type { RolesAnywhereCredentials, RolesAnywhereProvider } from '../sinks/s3/roles-anywhere/index.ts';
import { fail, pass, warn, type CheckResult } from './types.ts';

export async function checkRolesAnywhere(
  config: AgentConfig,
  logger: Logger,
  now: Date,
): Promise<{ result: CheckResult; usable: boolean; credentials?: RolesAnywhereProvider; requestHandler?: RolesAnywhereCredentials['requestHandler'] }> {
  const id = 's3.credentials';
  const title = 'S3 credentials: IAM Roles Anywhere certificate';
  const section = config.rolesAnywhere;
  if (!section) throw new Error('checkRolesAnywhere needs [roles_anywhere]');
  const status = await describeCertificate(section, config.file, now);
  if (status.level === 'fail') return { result: fail(id, title, status.detail, status.fix ?? ''), usable: false };
  // Loaded only for a certificate worth trying: the provider is built on the SDK's HTTP handler.
  const { createRolesAnywhereCredentials } = await import('../sinks/s3/roles-anywhere/index.ts');
  const { provider, requestHandler } = await createRolesAnywhereCredentials(section, config.network, logger, 15_000);
  const detail = `${status.detail}; temporary credentials from ${new URL(section.endpoint).host} for ${section.roleArn} (the canary upload below proves it works)`;
  const result = status.level === 'warn' ? warn(id, title, detail, status.fix ?? '') : pass(id, title, detail);
  return { result, usable: true, credentials: provider, requestHandler };
}
