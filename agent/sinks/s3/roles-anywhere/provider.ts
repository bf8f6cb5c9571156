// The S3 client's credential provider for IAM Roles Anywhere. Lifecycle: built once at start-up
// from [roles_anywhere]; the S3 client calls it before signing a request, and the AWS SDK calls it
// again when the credentials it holds are about to expire (the `expiration` field; @smithy/core
// memoizeIdentityProvider refreshes within 5 minutes of it). This provider keeps the last
// credentials and calls CreateSession again only when they are within REFRESH_MARGIN_MS of
// expiry (or half their lifetime, for short sessions), so one session serves many uploads and a
// new one is in hand before the old one expires. Concurrent uploads share one CreateSession.
//
// The certificate and key are read again for every CreateSession, so a renewed certificate saved
// over the old file is used without a restart. Credentials are Secrets, registered for redaction,
// and never logged; the log names only the expiry and the certificate's serial.
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity } from '@smithy/types';
import { SinkError } from '../../../errors.ts';
import type { Logger } from '../../../log/logger.ts';
import { createSession, type RolesAnywhereSettings, type TemporaryCredentials } from './create-session.ts';
import { certificateExpiry, IdentityFileError, readSigningIdentity, type IdentityFiles } from './identity.ts';
import { serialDecimal, type SigningIdentity } from './signing.ts';
import { LogEvents } from '../../../log/events.ts';

export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface RolesAnywhereProviderOptions {
  settings: RolesAnywhereSettings;
  files: IdentityFiles;
  /** Built for the Roles Anywhere endpoint (proxy and CA applied). */
  requestHandler: NodeHttpHandler;
  logger: Logger;
  now?: () => Date;
}

export interface RolesAnywhereProvider {
  /** Pass as the S3 client's `credentials`. */
  (): Promise<AwsCredentialIdentity>;
  /** How many CreateSession calls succeeded (status and tests). */
  readonly sessions: number;
}

export function createRolesAnywhereProvider(options: RolesAnywhereProviderOptions): RolesAnywhereProvider {
  const now = options.now ?? (() => new Date());
  let current: { credentials: TemporaryCredentials; refreshAt: number } | undefined;
  let pending: Promise<TemporaryCredentials> | undefined;
  let sessions = 0;

  const refresh = async (): Promise<TemporaryCredentials> => {
    const at = now();
    const identity = await loadIdentity(options.files, at);
    const credentials = await createSession(options.settings, identity, options.requestHandler, { now: at });
    const lifetime = credentials.expiration.getTime() - at.getTime();
    current = { credentials, refreshAt: credentials.expiration.getTime() - Math.min(REFRESH_MARGIN_MS, Math.max(0, lifetime / 2)) };
    sessions += 1;
    const fields = { expires_at: credentials.expiration.toISOString(), certificate_serial: serialDecimal(identity.certificate) };
    if (sessions === 1) options.logger.info(LogEvents.rolesAnywhereObtained, fields);
    else options.logger.debug(LogEvents.rolesAnywhereRenewed, fields);
    return credentials;
  };

  const provider = async (): Promise<AwsCredentialIdentity> => {
    let credentials = current && now().getTime() < current.refreshAt ? current.credentials : undefined;
    if (!credentials) {
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      credentials = await pending;
    }
    return {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey.reveal(),
      sessionToken: credentials.sessionToken.reveal(),
      expiration: credentials.expiration,
    };
  };
  Object.defineProperty(provider, 'sessions', { get: () => sessions });
  return provider as RolesAnywhereProvider;
}

/** The files, and a certificate that is valid now: an expired one is refused before signing. */
async function loadIdentity(files: IdentityFiles, at: Date): Promise<SigningIdentity> {
  let identity: SigningIdentity;
  try {
    identity = await readSigningIdentity(files);
  } catch (error) {
    if (!(error instanceof IdentityFileError)) throw error;
    throw new SinkError('RolesAnywhereIdentity', `Cannot sign for IAM Roles Anywhere: roles_anywhere.${error.key}: ${error.message}.`, { retryable: false, cause: error, hint: 'Fix the file as the message says, then run doctor.' });
  }
  const expiry = certificateExpiry(identity.certificate, at);
  if (expiry.state === 'expired' || expiry.state === 'not-yet-valid') {
    const when = expiry.state === 'expired' ? `expired on ${expiry.validTo.toISOString()}` : `is not valid before ${identity.certificate.validFrom}`;
    throw new SinkError('CertificateExpired', `The site certificate ${files.certificateFile} ${when}; IAM Roles Anywhere would refuse it, so no upload is possible until it is renewed.`, {
      retryable: false,
      hint: `Renew it: run 'datapipe-agent enroll -c <config.ini>' (it keeps the key and writes a new CSR), have the CA sign the CSR, save the certificate over ${files.certificateFile}. Files stay in the dump and are sent after that.`,
    });
  }
  return identity;
}
