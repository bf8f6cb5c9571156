// Step 3 of loading: named cross-field rules over the normalised config, including the ones that
// look at the machine (folders, credentials and CA files). Each rule names the keys it reads and
// is skipped when one of them already has an error, so one mistake gives one message.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { inspectCaFile } from '../net/ca-file.ts';
import type { AgentConfig } from './types.ts';
import { checkFolderWritable } from './folders.ts';
import { AWS_REGIONS } from './aws-regions.ts';
import { credentialsModeWarning, readCredentialsFile } from './credentials-file.ts';
import { closestName } from './suggest.ts';
import { budgetProblem, estimateSiteBudget, weightedVariables } from '../sources/open-meteo/site-budget.ts';
import { MAX_LOCATIONS_PER_REQUEST } from '../sources/open-meteo/budget.ts';
import { rolesAnywhereRules } from './roles-anywhere-rules.ts';
import { STORAGE_WORKING_FOLDERS } from '../spool/spool.ts';

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
      // The agent empties these folders as it works (drain deletes what S3 confirmed, recovery
      // moves temp/, packs/ is cleared after each pack): log files there would be deleted.
      const spool = STORAGE_WORKING_FOLDERS.map((name) => join(config.storage.dir, name));
      const inside = spool.find((folder) => isSameOrInside(config.logging.dir, folder));
      return inside ? error('logging.dir', `${config.logging.dir} is inside the agent's data folder ${inside}; choose a folder outside ${STORAGE_WORKING_FOLDERS.map((name) => `${name}/`).join(', ')}, e.g. ${join(config.storage.dir, 'logs')}`) : none;
    },
  },
  { name: 'credentialsFileReadable', uses: ['s3.credentials_file'], check: checkCredentialsFile },
  { name: 'credentialsFileBesideUnused', uses: ['s3.credentials_file'], check: checkUnusedCredentialsFile },
  { name: 'caFileIsPem', uses: ['network.ca_file'], check: checkCaFile },
  {
    // The free host answers a request carrying apikey= with a 303 to the commercial host and no
    // data (open-meteo/open-meteo Sources/App/Helper/Vapor/ApiKeyManager.swift, withApiParameter).
    name: 'apiKeyNeedsCommercialHost',
    uses: ['open_meteo.url', 'open_meteo.api_key'],
    check: async (config) =>
      config.openMeteo.apiKey && new URL(config.openMeteo.url).hostname === FREE_HOST
        ? error('open_meteo.api_key', `is set but open_meteo.url points at the free endpoint ${FREE_HOST}; the free endpoint answers every request that carries a key with a redirect (HTTP 303) and no data; set url = https://${COMMERCIAL_HOST}/v1/forecast, or remove api_key for non-commercial use`)
        : none,
  },
  { name: 'freeApiBudget', uses: ['open_meteo.url', 'open_meteo.variables', 'open_meteo.schedule', 'open_meteo.call_budget', 'locations'], check: checkFreeApiBudget },
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
  ...rolesAnywhereRules,
];

function checkRegion(region: string, endpoint: string | undefined): RuleProblem[] {
  if (endpoint !== undefined || AWS_REGIONS.includes(region)) return none;
  const nearest = closestName(region, AWS_REGIONS);
  const suggestion = nearest ? `did you mean '${nearest}'?` : 'expected a name such as eu-north-1 or us-east-1';
  return error('s3.region', `'${region}' is not an AWS region; ${suggestion} (a region of another S3-compatible store is allowed only together with s3.endpoint)`);
}

/** The free API counts weighted calls per address (see sources/open-meteo/budget.ts). */
async function checkFreeApiBudget(config: AgentConfig): Promise<RuleProblem[]> {
  if (config.openMeteo.callBudget !== 'free' || config.locations.length === 0) return none;
  const variables = weightedVariables(config.openMeteo);
  const budget = estimateSiteBudget(config.locations.length, { variables, schedule: config.openMeteo.schedule });
  const problem = budget && budgetProblem(budget, config.locations.length, variables);
  return problem ? [{ severity: problem.severity, where: 'open_meteo.schedule', message: problem.message }] : none;
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
  // The reader `run` uses (sinks/s3/credentials-file.ts), so validate cannot pass a file run refuses.
  const { problems } = await readCredentialsFile(file);
  const missing = problems.filter((problem) => problem.kind === 'missing').map((problem) => problem.where.replace(/^default\./, ''));
  if (missing.length > 0) {
    return error('s3.credentials_file', `${file} has no ${missing.join(' or ')} at the top of the file or under [default]; expected lines "aws_access_key_id = ..." and "aws_secret_access_key = ..."`);
  }
  const problem = problems[0];
  if (problem) return error('s3.credentials_file', problem.kind === 'file' ? problem.message : `${file}${problem.line === undefined ? '' : ` line ${problem.line}`}: ${problem.where}: ${problem.message}`);
  const modeWarning = await credentialsModeWarning(file);
  return modeWarning === undefined ? none : warning('s3.credentials_file', modeWarning);
}

/** A credentials.ini next to the config while credentials_file is not set: the technician made
 *  the file but left the line commented out, so the agent silently uses the default chain. */
async function checkUnusedCredentialsFile(config: AgentConfig): Promise<RuleProblem[]> {
  if (config.s3.credentialsFile !== undefined || config.rolesAnywhere !== undefined) return none;
  const besideConfig = join(dirname(config.file), 'credentials.ini');
  if (!(await stat(besideConfig).then((info) => info.isFile(), () => false))) return none;
  const lines = (await readFile(config.file, 'utf8')).split(/\r?\n/);
  const commented = lines.findIndex((line) => /^\s*[;#]\s*credentials_file\s*=/.test(line));
  const fix = commented >= 0
    ? `remove the '${lines[commented]?.trim()[0]}' at the start of line ${commented + 1} so it reads: ${lines[commented]?.replace(/^\s*[;#]\s*/, '')}`
    : 'add under [s3]: credentials_file = credentials.ini';
  return warning('s3.credentials_file', `is not set, so the AWS default chain (environment, profile, instance role) is used, but ${besideConfig} exists; to use it, ${fix}`);
}

async function checkCaFile(config: AgentConfig): Promise<RuleProblem[]> {
  const file = config.network.caFile;
  if (file === undefined) return none;
  // The reader the TLS clients use at start-up, so validate and run judge the file alike.
  const read = await inspectCaFile(file);
  return 'problem' in read ? error('network.ca_file', `${file} ${read.problem}`) : none;
}
