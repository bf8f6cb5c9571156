// Refuses configs the hardened unit could not run with, before anything is written: the config
// outside /etc/datapipe-agent (its permissions are what keep the credentials private), folders
// that ProtectHome=/PrivateTmp= hide from the service, and storage/log folders so broad that
// handing them to the service user would be dangerous.
import type { AgentConfig } from '../../config/types.ts';
import { LINUX } from '../layout.ts';
import { ServiceError } from '../service-error.ts';
import { isInside, type Staging } from './staging.ts';

/** Hidden from the service by ProtectHome=yes and PrivateTmp=yes. */
const HIDDEN = ['/home', '/root', '/run/user', '/tmp', '/var/tmp'];
/** Never handed to the service user as storage or log folder. */
const SYSTEM_FOLDERS = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/opt', '/proc', '/run', '/sbin', '/srv', '/sys', '/usr', '/var', '/var/lib', '/var/log', '/mnt', '/media'];

export interface ServicePaths {
  configFile: string;
  storageDir: string;
  logDir: string;
  credentialsFile?: string;
  /** [roles_anywhere] private_key_file: handed to the service user like the credentials file. */
  privateKeyFile?: string;
}

/** The config's paths as the installed system sees them; throws ServiceError for unusable ones. */
export function checkServicePaths(config: AgentConfig, staging: Staging): ServicePaths {
  const paths: ServicePaths = {
    configFile: staging.toFinal(config.file),
    storageDir: staging.toFinal(config.storage.dir),
    logDir: staging.toFinal(config.logging.dir),
    ...(config.s3.credentialsFile ? { credentialsFile: staging.toFinal(config.s3.credentialsFile) } : {}),
    ...(config.rolesAnywhere?.privateKeyFile ? { privateKeyFile: staging.toFinal(config.rolesAnywhere.privateKeyFile) } : {}),
  };
  if (!isInside(paths.configFile, LINUX.configDir) || paths.configFile === LINUX.configDir) {
    throw new ServiceError(
      `The service reads its config from ${LINUX.configDir}/, but ${paths.configFile} is elsewhere.`,
      `Copy it there: sudo install -d -m 0750 ${LINUX.configDir} && sudo cp ${paths.configFile} ${LINUX.configDir}/config.ini ` +
        `(and the credentials file), set [storage] dir = ${LINUX.stateDir} and [logging] dir = ${LINUX.logDir}, then run: ` +
        `sudo datapipe-agent service install -c ${LINUX.configDir}/config.ini. installer/install.sh does all of this.`,
    );
  }
  const named: [string, string | undefined, string][] = [
    ['[storage] dir', paths.storageDir, LINUX.stateDir],
    ['[logging] dir', paths.logDir, LINUX.logDir],
    ['[s3] credentials_file', paths.credentialsFile, `${LINUX.configDir}/credentials.ini`],
    ['[roles_anywhere] private_key_file', paths.privateKeyFile, `${LINUX.configDir}/roles-anywhere/site.key`],
    ['[network] ca_file', config.network.caFile ? staging.toFinal(config.network.caFile) : undefined, `${LINUX.configDir}/ca.pem`],
  ];
  for (const [key, path, suggestion] of named) {
    const hiddenIn = path === undefined ? undefined : HIDDEN.find((folder) => isInside(path, folder));
    if (path !== undefined && hiddenIn !== undefined) {
      throw new ServiceError(`${key} is ${path}, inside ${hiddenIn}, which the service cannot see (the unit hides home folders and /tmp).`, `Set ${key} = ${suggestion} in ${paths.configFile}.`);
    }
  }
  for (const [key, path, suggestion] of named.slice(0, 2)) {
    if (path === undefined) continue;
    if (SYSTEM_FOLDERS.includes(path) || isInside(path, LINUX.configDir)) {
      throw new ServiceError(`${key} is ${path}; the service user would own that folder, which is not safe there.`, `Set ${key} = ${suggestion} (or a folder of its own) in ${paths.configFile}.`);
    }
  }
  return paths;
}
