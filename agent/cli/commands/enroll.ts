// `enroll`: the first step of IAM Roles Anywhere on a site. Creates the private key on this
// server (kept if it exists), writes a CSR next to roles_anywhere.certificate_file and prints what
// to send to whom. The certificate and key files may not exist yet, so their "does not exist"
// errors from the config rules are expected here; every other config error stops enroll.
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { validateConfigFile } from '../../config/load.ts';
import { formatConfigProblem, type ConfigProblem } from '../../errors.ts';
import { enrollKey, type KeyType } from '../../sinks/s3/roles-anywhere/enrollment.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeErr, writeOut } from '../terminal.ts';

const CREATED_BY_ENROLL = new Set(['roles_anywhere.certificate_file', 'roles_anywhere.private_key_file']);

export function csrPathFor(certificateFile: string): string {
  const ext = extname(certificateFile);
  return `${ext ? certificateFile.slice(0, -ext.length) : certificateFile}.csr`;
}

export async function runEnroll(configFile: string, options: { keyType: KeyType }): Promise<ExitCodeValue> {
  const tolerated = (problem: ConfigProblem) => CREATED_BY_ENROLL.has(problem.where);
  const { config, problems } = await validateConfigFile(configFile, { tolerate: tolerated });
  for (const problem of problems) if (!(config && tolerated(problem))) writeErr(`${formatConfigProblem(problem)}\n`);
  if (!config) {
    writeErr(`Fix the config first, then run 'datapipe-agent enroll -c ${configFile}' again.\n`);
    return ExitCode.invalidConfig;
  }
  const section = config.rolesAnywhere;
  if (!section) {
    writeErr(`${config.file}: roles_anywhere: the section is missing; add [roles_anywhere] with certificate_file, private_key_file, trust_anchor_arn, profile_arn and role_arn (see config.example.ini), then run enroll again.\n`);
    return ExitCode.invalidConfig;
  }
  const result = await enrollKey({ keyFile: section.privateKeyFile, customerId: config.customer.id, keyType: options.keyType });
  const csrFile = csrPathFor(section.certificateFile);
  await writeFile(csrFile, result.csrPem);
  writeOut(
    [
      result.keyCreated
        ? `Private key created: ${section.privateKeyFile} (readable by this account only). It never leaves this server: do not copy, mail or back it up elsewhere.`
        : `Private key kept: ${section.privateKeyFile} already exists; the CSR below is for the same key (certificate renewal).`,
      `Certificate signing request written: ${csrFile}`,
      `  subject:             ${result.subject}`,
      `  public key SHA-256:  ${result.publicKeySha256}`,
      '',
      'Next steps:',
      `  1. Send ${csrFile} (only this file; it holds no secret) to your company's PKI / CA team: the CA whose`,
      `     certificate is the IAM Roles Anywhere trust anchor ${section.trustAnchorArn}.`,
      `     Ask for a client certificate (PEM) for exactly this subject; they can check the public key SHA-256 above.`,
      `  2. Save the certificate they return as ${section.certificateFile}`,
      `     (and intermediate CA certificates, if any, in roles_anywhere.certificate_chain_file).`,
      `  3. Run: datapipe-agent doctor -c ${config.file}`,
      '',
    ].join('\n'),
  );
  return ExitCode.ok;
}
