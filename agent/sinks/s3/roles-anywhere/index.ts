// IAM Roles Anywhere as the S3 sink's credential source ([roles_anywhere] in config.ini): no
// long-lived secret on the site, only a private key that never leaves it. signing.ts signs
// CreateSession with the certificate's key, create-session.ts makes the call, provider.ts keeps
// and renews the temporary credentials for the S3 client, identity.ts reads the files, and
// enrollment.ts creates the key and CSR for `enroll`.
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { NetworkConfig, RolesAnywhereConfig } from '../../../config/types.ts';
import type { Logger } from '../../../log/logger.ts';
import { createNodeHttpHandler } from '../node-http-handler.ts';
import { createRolesAnywhereProvider, type RolesAnywhereProvider } from './provider.ts';

export { createRolesAnywhereProvider, REFRESH_MARGIN_MS, type RolesAnywhereProvider } from './provider.ts';
export { certificateExpiry, EXPIRY_WARNING_DAYS, readCertificates, subjectCommonName } from './identity.ts';

/** How S3 error hints name these credentials (AccessDenied: the role's policy and the certificate CN). */
export function describeRolesAnywhereSource(config: RolesAnywhereConfig): string {
  return `the IAM Roles Anywhere role ${config.roleArn} (its policy sql/aws/roles-anywhere-put-policy.json allows customer=<certificate CN>/ only; the CN must be [customer] id)`;
}

/** The provider for the S3 client and the handler it sends CreateSession through (destroy it at shutdown). */
export interface RolesAnywhereCredentials {
  provider: RolesAnywhereProvider;
  requestHandler: NodeHttpHandler;
}

export async function createRolesAnywhereCredentials(
  config: RolesAnywhereConfig,
  network: NetworkConfig,
  logger: Logger,
  timeoutMs = 30_000,
): Promise<RolesAnywhereCredentials> {
  const requestHandler = await createNodeHttpHandler(network, config.endpoint, { requestTimeoutMs: timeoutMs, connectionTimeoutMs: Math.min(timeoutMs, 10_000) });
  const provider = createRolesAnywhereProvider({ settings: config, files: config, requestHandler, logger });
  return { provider, requestHandler };
}
