// The site certificate's state for people: doctor's check line and status's "Certificate:" line.
// ok: valid for more than EXPIRY_WARNING_DAYS; warn: expires within them (renew now, nothing
// fails yet); fail: expired, not yet valid, or the files are unusable (uploads fail; data waits
// in the dump). Names the file, subject, serial and dates only.
import type { RolesAnywhereConfig } from '../../../config/types.ts';
import { certificateExpiry, EXPIRY_WARNING_DAYS, IdentityFileError, readSigningIdentity } from './identity.ts';
import { serialDecimal } from './signing.ts';

export interface CertificateStatus {
  level: 'ok' | 'warn' | 'fail';
  file: string;
  subject?: string;
  serial?: string;
  validTo?: string;
  daysLeft?: number;
  /** One sentence: what was found. */
  detail: string;
  /** What to do, for warn and fail. */
  fix?: string;
}

export async function describeCertificate(config: RolesAnywhereConfig, configFile: string, now: Date): Promise<CertificateStatus> {
  const file = config.certificateFile;
  let identity;
  try {
    identity = await readSigningIdentity(config);
  } catch (error) {
    if (!(error instanceof IdentityFileError)) throw error;
    return { level: 'fail', file, detail: `roles_anywhere.${error.key}: ${error.message}`, fix: `Fix the file as the message says (see docs/technician-guide.md, IAM Roles Anywhere), then run doctor again.` };
  }
  const { certificate } = identity;
  const expiry = certificateExpiry(certificate, now);
  const facts = { file, subject: certificate.subject.replace(/\n/g, ', '), serial: serialDecimal(certificate), validTo: expiry.validTo.toISOString(), daysLeft: expiry.daysLeft };
  const renew = `Renew the certificate: run 'datapipe-agent enroll -c ${configFile}' (it keeps the key and writes a new CSR), send the CSR to your CA, and save the new certificate over ${file}. Collected data waits in the dump meanwhile.`;
  const about = `${file}: ${facts.subject}, serial ${facts.serial}`;
  if (expiry.state === 'expired') return { ...facts, level: 'fail', detail: `${about} expired on ${facts.validTo}; uploads fail until it is renewed`, fix: renew };
  if (expiry.state === 'not-yet-valid') return { ...facts, level: 'fail', detail: `${about} is not valid before ${certificate.validFrom}`, fix: 'Check the server clock (NTP); if it is right, wait until the certificate becomes valid or ask the CA for one valid now.' };
  if (expiry.state === 'expiring') return { ...facts, level: 'warn', detail: `${about} expires on ${facts.validTo} (in ${expiry.daysLeft} days, less than ${EXPIRY_WARNING_DAYS})`, fix: renew };
  return { ...facts, level: 'ok', detail: `${about} valid until ${facts.validTo} (${expiry.daysLeft} days)` };
}
