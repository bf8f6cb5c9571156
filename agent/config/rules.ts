// Step 3 of loading: named cross-field rules over the normalised config, including the ones that
// look at the machine (folders, credentials and CA files). Each rule names the keys it reads and
// is skipped when one of them already has an error, so one mistake gives one message.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { parseCaFile } from '../net/ca-file.ts';
import type { AgentConfig } from './types.ts';
import { checkFolderWritable, errorCode } from './folders.ts';
import { AWS_REGIONS } from './aws-regions.ts';
import { scanIni } from './ini-lines.ts';
import { closestName } from './suggest.ts';

export interface RuleProblem {
  severity: 'error' | 'warning';
  where: string;
  message: string;
}

export interface ConfigRule {
  name: string;
  /** `section.key` names the rule reads; it is skipped if any of them already has an error. */
  uses: string[];
  check(config: AgentConfig): Promise<RuleProblem[]>;
}

const error = (where: string, message: string): RuleProblem[] => [{ severity: 'error', where, message }];
const warning = (where: string, message: string): RuleProblem[] => [{ severity: 'warning', where, message }];
const none: RuleProblem[] = [];

const FREE_HOST = 'api.open-meteo.com';
const COMMERCIAL_HOST = 'customer-api.open-meteo.com';
export const MAX_LOCATIONS_PER_REQUEST = 1000;
const TOP_OF_FILE = '(top of file)';

export const rules: ConfigRule[] = [
  {
    name: 'storageFolderWritable',
    uses: ['storage.dir'],
    check: async (config) => folderProblem('storage.dir', config.storage.dir),
  },
  {
    name: 'logFolderWritable',
    uses: ['storage.dir', 'logging.dir'],
    check: async (config) => folderProblem('logging.dir', config.logging.dir),
  },
  {
    name: 'logFolderOutsideSpool',
    uses: ['storage.dir', 'logging.dir'],
    check: async (config) => {
      const spool = ['temp', 'dump', 'state'].map((name) => join(config.storage.dir, name));
      const inside = spool.find((folder) => isSameOrInside(config.logging.dir, folder));
      return inside ? error('logging.dir', `${config.logging.dir} is inside the agent's data folder ${inside}; choose a folder outside temp/, dump/ and state/, e.g. ${join(config.storage.dir, 'logs')}`) : none;
    },
  },
  { name: 'credentialsFileReadable', uses: ['s3.credentials_file'], check: checkCredentialsFile },
  { name: 'credentialsFileBesideUnused', uses: ['s3.credentials_file'], check: checkUnusedCredentialsFile },
  { name: 'caFileIsPem', uses: ['network.ca_file'], check: checkCaFile },
  {
    name: 'apiKeyNeedsCommercialHost',
    uses: ['open_meteo.url', 'open_meteo.api_key'],
    check: async (config) =>
      config.openMeteo.apiKey && new URL(config.openMeteo.url).hostname === FREE_HOST
        ? warning('open_meteo.api_key', `is set but url points at the free endpoint ${FREE_HOST}, which ignores it; commercial keys go to https://${COMMERCIAL_HOST}/v1/forecast`)
        : none,
  },
  {
    name: 'commercialHostNeedsApiKey',
    uses: ['open_meteo.url', 'open_meteo.api_key'],
    check: async (config) =>
      !config.openMeteo.apiKey && new URL(config.openMeteo.url).hostname === COMMERCIAL_HOST
        ? warning('open_meteo.url', `points at the commercial endpoint ${COMMERCIAL_HOST} but open_meteo.api_key is not set; every request will be refused until it is`)
        : none,
  },
  { name: 'awsRegionKnown', uses: ['s3.region', 's3.endpoint'], check: async (config) => checkRegion(config.s3.region, config.s3.endpoint) },
  {
    name: 'tooManyLocations',
    uses: ['locations'],
    check: async (config) =>
      config.locations.length > MAX_LOCATIONS_PER_REQUEST
        ? warning('locations', `${config.locations.length} locations need ${Math.ceil(config.locations.length / MAX_LOCATIONS_PER_REQUEST)} requests per cycle (Open-Meteo allows ${MAX_LOCATIONS_PER_REQUEST} per request) and use up the free API's daily call budget quickly; consider fewer locations or a commercial plan`)
        : none,
  },
];

function checkRegion(region: string, endpoint: string | undefined): RuleProblem[] {
  if (endpoint !== undefined || AWS_REGIONS.includes(region)) return none;
  const nearest = closestName(region, AWS_REGIONS);
  const suggestion = nearest ? `did you mean '${nearest}'?` : 'expected a name such as eu-north-1 or us-east-1';
  return error('s3.region', `'${region}' is not an AWS region; ${suggestion} (a region of another S3-compatible store is allowed only together with s3.endpoint)`);
}

async function folderProblem(where: string, dir: string): Promise<RuleProblem[]> {
  const problem = await checkFolderWritable(dir);
  return problem === null ? none : error(where, problem);
}

function isSameOrInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function checkCredentialsFile(config: AgentConfig): Promise<RuleProblem[]> {
  const file = config.s3.credentialsFile;
  if (file === undefined) return none;
  const read = await readSmallFile(file, 'credentials file', 'create it with aws_access_key_id and aws_secret_access_key lines, or remove credentials_file to use the AWS default chain (environment, profile, instance role)');
  if ('problem' in read) return error('s3.credentials_file', read.problem);
  if (isUtf16(read.bytes)) return error('s3.credentials_file', `${file} is saved as UTF-16 ("Unicode"); save it as UTF-8 (Notepad: File > Save as > Encoding: UTF-8)`);
  // Same places sinks/s3/credentials-file.ts reads: the top of the file or [default].
  const sections = scanIni(`[${TOP_OF_FILE}]\n${read.text}`).sections.filter((section) => section.name === TOP_OF_FILE || section.name === 'default');
  const keys = new Set(sections.flatMap((section) => section.entries.filter((entry) => entry.value !== '').map((entry) => entry.key.toLowerCase())));
  const missing = ['aws_access_key_id', 'aws_secret_access_key'].filter((key) => !keys.has(key));
  if (missing.length > 0) {
    return error('s3.credentials_file', `${file} has no ${missing.join(' or ')} at the top of the file or under [default]; expected lines "aws_access_key_id = ..." and "aws_secret_access_key = ..."`);
  }
  return process.platform === 'win32' ? none : credentialsModeWarning(file);
}

/** A credentials.ini next to the config while credentials_file is not set: the technician made
 *  the file but left the line commented out, so the agent silently uses the default chain. */
async function checkUnusedCredentialsFile(config: AgentConfig): Promise<RuleProblem[]> {
  if (config.s3.credentialsFile !== undefined) return none;
  const besideConfig = join(dirname(config.file), 'credentials.ini');
  if (!(await stat(besideConfig).then((info) => info.isFile(), () => false))) return none;
  const lines = (await readFile(config.file, 'utf8')).split(/\r?\n/);
  const commented = lines.findIndex((line) => /^\s*[;#]\s*credentials_file\s*=/.test(line));
  const fix = commented >= 0
    ? `remove the '${lines[commented]?.trim()[0]}' at the start of line ${commented + 1} so it reads: ${lines[commented]?.replace(/^\s*[;#]\s*/, '')}`
    : 'add under [s3]: credentials_file = credentials.ini';
  return warning('s3.credentials_file', `is not set, so the AWS default chain (environment, profile, instance role) is used, but ${besideConfig} exists; to use it, ${fix}`);
}

async function credentialsModeWarning(file: string): Promise<RuleProblem[]> {
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return none;
  return warning('s3.credentials_file', `${file} can be read by other accounts on this machine (mode ${mode.toString(8).padStart(3, '0')}); run: chmod 600 '${file}'`);
}

async function checkCaFile(config: AgentConfig): Promise<RuleProblem[]> {
  const file = config.network.caFile;
  if (file === undefined) return none;
  const read = await readSmallFile(file, 'CA file', 'export the proxy\'s root certificate to that path (PEM or DER .cer), or remove ca_file');
  if ('problem' in read) return error('network.ca_file', read.problem);
  const parsed = parseCaFile(read.bytes);
  return 'problem' in parsed ? error('network.ca_file', `${file} ${parsed.problem}`) : none;
}

async function readSmallFile(file: string, what: string, fix: string): Promise<{ text: string; bytes: Buffer } | { problem: string }> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { problem: `${file} is a folder, not a ${what}; ${fix}` };
    if (info.size > 1024 * 1024) return { problem: `${file} is ${info.size} bytes, too large for a ${what}; check the path` };
    const bytes = await readFile(file);
    return { text: bytes.toString('utf8'), bytes };
  } catch (caught) {
    const code = errorCode(caught);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { problem: `${what} ${file} does not exist; ${fix}` };
    return { problem: `cannot read ${what} ${file} (${code}); give the account the agent runs as read access` };
  }
}

function isUtf16(bytes: Buffer): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}
