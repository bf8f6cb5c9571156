import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfigFile } from '../../agent/config/load.ts';
import { ConfigError, formatConfigProblem } from '../../agent/errors.ts';
import { editedConfig, useTempDirs } from '../fixtures/config/temp-config.ts';

const makeDir = useTempDirs();
const CA_PEM = await readFile(new URL('../fixtures/config/test-ca.pem', import.meta.url), 'utf8');
const CREDENTIALS = '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n';

async function validate(text: string, files: Record<string, string> = {}) {
  const dir = await makeDir({ 'config.ini': text, ...files });
  return { dir, ...(await validateConfigFile(join(dir, 'config.ini'))) };
}

interface BadCase {
  name: string;
  edits: Record<number, string>;
  where: string;
  line: number | undefined;
  fragment: string;
  files?: Record<string, string>;
}

const badCases: BadCase[] = [
  { name: 'customer id with a space', edits: { 2: 'id = acme 001' }, where: 'customer.id', line: 2, fragment: "'acme 001' is not a valid id; use letters, digits" },
  { name: 'customer id missing', edits: { 2: '; no id' }, where: 'customer.id', line: 1, fragment: 'is missing; it is required' },
  { name: 'customer id too long', edits: { 2: `id = ${'a'.repeat(65)}` }, where: 'customer.id', line: 2, fragment: '1 to 64 characters' },
  { name: 'customer section missing', edits: { 1: '; gone', 2: '; gone' }, where: 'customer.id', line: undefined, fragment: 'is missing' },
  { name: 'latitude out of range', edits: { 4: 'helsinki = 95, 24.9' }, where: 'locations.helsinki', line: 4, fragment: 'latitude 95 is out of range; expected a decimal number from -90 to 90' },
  { name: 'latitude not a number', edits: { 4: 'helsinki = north, 24.9' }, where: 'locations.helsinki', line: 4, fragment: "latitude 'north' is not a number" },
  { name: 'longitude out of range', edits: { 4: 'helsinki = 60.1, -190' }, where: 'locations.helsinki', line: 4, fragment: 'longitude -190 is out of range; expected a decimal number from -180 to 180' },
  { name: 'decimal commas', edits: { 4: 'helsinki = 60,1695, 24,9354' }, where: 'locations.helsinki', line: 4, fragment: 'use: helsinki = 60.1695, 24.9354' },
  { name: 'decimal commas and a name', edits: { 4: 'helsinki = 60,17, 24,94, Helsinki' }, where: 'locations.helsinki', line: 4, fragment: 'it would read as latitude 60, longitude 17); coordinates need' },
  { name: 'decimal commas, ambiguous', edits: { 4: 'helsinki = 60,17,24' }, where: 'locations.helsinki', line: 4, fragment: 'cannot be read unambiguously' },
  { name: 'location id with non-ASCII letters', edits: { 4: 'jyväskylä = 62.2415, 25.7209' }, where: 'locations.jyväskylä', line: 4, fragment: "use 'jyvaskyla' instead: jyvaskyla = 62.2415, 25.7209" },
  { name: 'region misspelt', edits: { 11: 'region = eu-nrth-1' }, where: 's3.region', line: 11, fragment: "'eu-nrth-1' is not an AWS region; did you mean 'eu-north-1'?" },
  { name: 'location without longitude', edits: { 4: 'helsinki = 60.1' }, where: 'locations.helsinki', line: 4, fragment: "expected '<latitude>, <longitude>[, <display name>]'" },
  { name: 'duplicate location id (case)', edits: { 4: 'helsinki = 60.1, 24.9\nHelsinki = 61, 25' }, where: 'locations.Helsinki', line: 5, fragment: "location id 'Helsinki' is already used on line 4" },
  { name: 'bad location id', edits: { 4: 'hel/sinki = 60.1, 24.9' }, where: 'locations.hel/sinki', line: 4, fragment: "'hel/sinki' is not a valid location id" },
  { name: 'no locations', edits: { 4: '; none yet' }, where: 'locations', line: 3, fragment: 'no locations; add at least one line' },
  { name: 'url not http', edits: { 6: 'url = ftp://api.open-meteo.com/v1/forecast' }, where: 'open_meteo.url', line: 6, fragment: 'is not an http:// or https:// URL' },
  { name: 'url with an apikey query', edits: { 6: 'url = https://customer-api.open-meteo.com/v1/forecast?apikey=abc' }, where: 'open_meteo.url', line: 6, fragment: 'must not set the query parameter(s) apikey (put an API key in open_meteo.api_key' },
  { name: 'url setting the coordinates', edits: { 6: 'url = https://api.open-meteo.com/v1/forecast?latitude=1&models=icon_seamless' }, where: 'open_meteo.url', line: 6, fragment: 'must not set the query parameter(s) latitude' },
  { name: 'url with a fragment', edits: { 6: 'url = https://api.open-meteo.com/v1/forecast#x' }, where: 'open_meteo.url', line: 6, fragment: "must not contain '?' or '#' parts" },
  { name: 'call_budget unknown', edits: { 8: 'call_budget = lots' }, where: 'open_meteo.call_budget', line: 8, fragment: "'lots' is not a call budget" },
  { name: 'api_key with the free endpoint', edits: { 8: 'api_key = k3yK3yK3yK3y' }, where: 'open_meteo.api_key', line: 8, fragment: 'answers every request that carries a key with a redirect (HTTP 303) and no data; set url = https://customer-api.open-meteo.com/v1/forecast' },
  {
    name: 'free API daily budget exceeded',
    edits: { 4: Array.from({ length: 200 }, (_, i) => `site_${i} = ${i / 10}, 10`).join('\n') },
    where: 'open_meteo.schedule', line: 206,
    fragment: '200 location(s) x 5 variable(s) = 200 call(s) per cycle (each location costs max(1, variables/10) calls), 96 cycle(s) per day: 800 call(s) in the busiest hour (limit 5000), 19200 per day (limit 10000): over the free API\'s daily limit of 10000 calls; fix: fewer locations or variables, or a less frequent open_meteo.schedule; or the commercial endpoint',
  },
  {
    name: 'free API hourly budget exceeded (many variables weigh more)',
    edits: { 4: Array.from({ length: 700 }, (_, i) => `site_${i} = ${i / 10}, 10`).join('\n'), 7: 'schedule = 0,1,2,30 1 * * *', 8: `variables = ${Array.from({ length: 20 }, (_, i) => ['temperature_2m', 'rain', 'snowfall', 'showers'][i % 4] + (i < 4 ? '' : `_${i}`)).join(', ')}` },
    where: 'open_meteo.schedule', line: 706, fragment: '= 1400 call(s) per cycle (each location costs max(1, variables/10) calls), 4 cycle(s) per day: 5600 call(s) in the busiest hour (limit 5000), 5600 per day (limit 10000): over the free API\'s hourly limit',
  },
  {
    name: 'cycle longer than the schedule allows',
    edits: { 4: Array.from({ length: 1000 }, (_, i) => `site_${i} = ${i / 20}, 10`).join('\n'), 7: 'schedule = 0,1 0 * * *\ncall_budget = free', 6: 'url = https://api.open-meteo.com/v1/forecast?models=icon_seamless,gfs_seamless' },
    where: 'open_meteo.schedule', line: 1006, fragment: '1000 location(s) x 10 variable(s) = 1000 call(s) per cycle (each location costs max(1, variables/10) calls), 2 cycle(s) per day: 2000 call(s) in the busiest hour (limit 5000), 2000 per day (limit 10000): one cycle needs 2 minute(s) at the free API\'s 600 calls per minute, but the schedule runs every 60 s',
  },
  { name: 'cron with 4 fields', edits: { 7: 'schedule = */15 * * *' }, where: 'open_meteo.schedule', line: 7, fragment: "has 4 fields; expected a cron expression with 5 fields" },
  { name: 'cron minute 61', edits: { 7: 'schedule = 61 * * * *' }, where: 'open_meteo.schedule', line: 7, fragment: "'61 * * * *' is not a valid cron expression" },
  { name: 'jitter not a number', edits: { 8: 'jitter_seconds = 30s' }, where: 'open_meteo.jitter_seconds', line: 8, fragment: "'30s' is not a number; expected a whole number from 0 to 3600 seconds" },
  { name: 'jitter out of range', edits: { 8: 'jitter_seconds = 7200' }, where: 'open_meteo.jitter_seconds', line: 8, fragment: '7200 is out of range; expected a whole number from 0 to 3600 seconds' },
  { name: 'timeout zero', edits: { 8: 'timeout_seconds = 0' }, where: 'open_meteo.timeout_seconds', line: 8, fragment: 'from 1 to 300 seconds' },
  { name: 'misspelt key', edits: { 8: 'timeout_secs = 30' }, where: 'open_meteo.timeout_secs', line: 8, fragment: "unknown key; did you mean 'timeout_seconds'?" },
  { name: 'empty variable', edits: { 8: 'variables = temperature_2m,,is_day' }, where: 'open_meteo.variables', line: 8, fragment: 'has an empty item' },
  { name: 'duplicate variable', edits: { 8: 'variables = is_day, temperature_2m, is_day' }, where: 'open_meteo.variables', line: 8, fragment: "'is_day' is listed twice" },
  { name: 'badly named variable', edits: { 8: 'variables = Temperature 2m' }, where: 'open_meteo.variables', line: 8, fragment: "'Temperature 2m' is not a variable name" },
  { name: 'bucket with capitals', edits: { 10: 'bucket = My_Bucket' }, where: 's3.bucket', line: 10, fragment: "'My_Bucket' is not a valid S3 bucket name: use only lower-case letters" },
  { name: 'bucket too short', edits: { 10: 'bucket = ab' }, where: 's3.bucket', line: 10, fragment: '3 to 63 characters' },
  { name: 'bucket like an IP', edits: { 10: 'bucket = 192.168.10.1' }, where: 's3.bucket', line: 10, fragment: 'must not look like an IP address' },
  { name: 'bucket missing', edits: { 10: '; bucket?' }, where: 's3.bucket', line: 9, fragment: 'is missing; it is required' },
  { name: 'region empty', edits: { 11: 'region =' }, where: 's3.region', line: 11, fragment: 'is missing; it is required' },
  { name: 'region not AWS', edits: { 11: 'region = eu-nort' }, where: 's3.region', line: 11, fragment: "'eu-nort' is not an AWS region" },
  { name: 'region with spaces', edits: { 11: 'region = EU North' }, where: 's3.region', line: 11, fragment: "'EU North' is not a region name" },
  { name: 'prefix leading slash', edits: { 12: 'prefix = /raw/' }, where: 's3.prefix', line: 12, fragment: "'/raw/' starts with '/'" },
  { name: 'prefix without slash', edits: { 12: 'prefix = raw' }, where: 's3.prefix', line: 12, fragment: "'raw' must end with '/'" },
  { name: 'prefix with //', edits: { 12: 'prefix = raw//x/' }, where: 's3.prefix', line: 12, fragment: "contains '//'" },
  { name: 'prefix ../', edits: { 12: 'prefix = ../' }, where: 's3.prefix', line: 12, fragment: "'../' has a '.' or '..' folder; a valid prefix is empty, or folder names" },
  { name: 'prefix with a .. folder', edits: { 12: 'prefix = raw/../x/' }, where: 's3.prefix', line: 12, fragment: "has a '.' or '..' folder" },
  { name: 'prefix with a . folder', edits: { 12: 'prefix = ./raw/' }, where: 's3.prefix', line: 12, fragment: "has a '.' or '..' folder" },
  { name: 'prefix with a backslash', edits: { 12: 'prefix = site\\raw/' }, where: 's3.prefix', line: 12, fragment: 'backslash' },
  { name: 'endpoint without scheme', edits: { 12: 'endpoint = localhost:9000' }, where: 's3.endpoint', line: 12, fragment: 'is not an http:// or https:// URL' },
  { name: 'dump size zero', edits: { 15: 'max_dump_mb = 0' }, where: 'storage.max_dump_mb', line: 15, fragment: 'from 1 to 1048576 MB' },
  { name: 'unknown log level', edits: { 17: 'level = verbose' }, where: 'logging.level', line: 17, fragment: "'verbose' is not a log level; expected one of error, warn, info, debug" },
  { name: 'negative keep_days', edits: { 17: 'keep_days = -1' }, where: 'logging.keep_days', line: 17, fragment: "'-1' is not a number; expected a whole number from 1 to 3650 days" },
  { name: 'misspelt section', edits: { 18: '[netwrk]' }, where: 'netwrk', line: 18, fragment: "unknown section [netwrk]; did you mean 'network'?" },
  { name: 'repeated section', edits: { 18: '[storage]\nmax_dump_mb = 10' }, where: 'storage', line: 18, fragment: 'section [storage] already appears on line 13' },
  { name: 'key set twice', edits: { 10: 'bucket = bucket-a\nbucket = bucket-b' }, where: 's3.bucket', line: 11, fragment: "key 'bucket' is already set on line 10; keep only one" },
  { name: 'AWS secret inline', edits: { 12: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, where: 's3.aws_secret_access_key', line: 12, fragment: 'secrets do not belong in config.ini: put AWS keys in a separate file named by s3.credentials_file' },
  { name: 'AWS key id under another name', edits: { 12: 'key = AKIAIOSFODNN7EXAMPLE' }, where: 's3.key', line: 12, fragment: 's3.credentials_file' },
  { name: 'proxy password key', edits: { 18: '[network]\nproxy_password = hunter2hunter2' }, where: 'network.proxy_password', line: 19, fragment: 'put proxy credentials in the proxy URL' },
  { name: 'credentials file missing', edits: { 12: 'credentials_file = creds.ini' }, where: 's3.credentials_file', line: 12, fragment: 'creds.ini does not exist; create it with aws_access_key_id' },
  { name: 'credentials file without keys', edits: { 12: 'credentials_file = creds.ini' }, files: { 'creds.ini': '[default]\nregion = x\n' }, where: 's3.credentials_file', line: 12, fragment: 'has no aws_access_key_id or aws_secret_access_key' },
  { name: 'credentials only in another profile', edits: { 12: 'credentials_file = creds.ini' }, files: { 'creds.ini': '[prod]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n' }, where: 's3.credentials_file', line: 12, fragment: 'at the top of the file or under [default]' },
  // run refuses this file (sinks/s3/credentials-file.ts); validate reads it the same way now.
  { name: 'credentials both at the top and under [default]', edits: { 12: 'credentials_file = creds.ini' }, files: { 'creds.ini': 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = y\n' }, where: 's3.credentials_file', line: 12, fragment: 'both at the top of the file and under [default]' },
  { name: 'ca file missing', edits: { 18: '[network]\nca_file = corp.pem' }, where: 'network.ca_file', line: 19, fragment: 'corp.pem does not exist' },
  { name: 'ca file not PEM', edits: { 18: '[network]\nca_file = corp.pem' }, files: { 'corp.pem': 'not a certificate' }, where: 'network.ca_file', line: 19, fragment: 'contains no certificate' },
  { name: 'ca file damaged', edits: { 18: '[network]\nca_file = corp.pem' }, files: { 'corp.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, where: 'network.ca_file', line: 19, fragment: 'has certificate 1 which cannot be read' },
  { name: 'socks proxy', edits: { 18: '[network]\nproxy = socks5://proxy.example:1080' }, where: 'network.proxy', line: 19, fragment: "'socks5://proxy.example:1080' is not an http:// or https:// proxy" },
  // prepareProxy (net/proxy.ts) refuses this at start-up; validate uses the same check.
  { name: 'proxy with a path', edits: { 18: '[network]\nproxy = http://proxy.corp:8080/proxy.pac' }, where: 'network.proxy', line: 19, fragment: 'must not have a path, query or fragment' },
  { name: 'proxy without scheme', edits: { 18: '[network]\nproxy = proxy.corp:8080' }, where: 'network.proxy', line: 19, fragment: 'is http:// missing in front?' },
  { name: 'PAC file on ftp', edits: { 18: '[network]\nproxy = pac+ftp://files.corp/proxy.pac' }, where: 'network.proxy', line: 19, fragment: 'is not a PAC file location; expected pac+http://host/proxy.pac' },
  { name: 'storage dir under a file', edits: { 14: 'dir = ./blocker/var' }, files: { blocker: 'x' }, where: 'storage.dir', line: 14, fragment: 'blocker is a file, not a folder' },
  { name: 'storage dir is a file', edits: { 14: 'dir = ./blocker' }, files: { blocker: 'x' }, where: 'storage.dir', line: 14, fragment: 'blocker is a file, not a folder' },
  { name: 'log dir inside spool', edits: { 17: 'level = info\ndir = ./var/temp/logs' }, where: 'logging.dir', line: 18, fragment: "inside the agent's data folder" },
  { name: 'log dir inside packs', edits: { 17: 'level = info\ndir = ./var/packs' }, where: 'logging.dir', line: 18, fragment: "inside the agent's data folder" },
  { name: 'log dir inside quarantine', edits: { 17: 'level = info\ndir = ./var/quarantine/logs' }, where: 'logging.dir', line: 18, fragment: 'outside temp/, dump/, packs/, state/, quarantine/' },
  { name: 'line without =', edits: { 2: 'id = acme-001\nthis is not a setting' }, where: 'customer', line: 3, fragment: 'cannot read this line; expected "key = value"' },
  { name: 'key before any section', edits: { 1: 'id = acme-001\n[customer]' }, where: 'id', line: 1, fragment: '"id" is outside any section' },
  { name: 'unclosed quote', edits: { 14: 'dir = "C:\\data' }, where: 'storage.dir', line: 14, fragment: 'opens a " quote but never closes it' },
  { name: 'broken section header', edits: { 13: '[storage' }, where: 'file', line: 13, fragment: 'cannot read section header "[storage"' },
  { name: 'legacy mixed with new', edits: { 18: '[network]\n[Customer-info]\ncustomer_id = acme-001' }, where: 'customer', line: 1, fragment: 'cannot be combined with the old [Customer-info]' },
];

describe('validateConfigFile: bad configs', () => {
  it.each(badCases)('$name -> $where', async ({ edits, files, where, line, fragment }) => {
    const { config, problems } = await validate(editedConfig(edits), files);
    expect(config).toBeUndefined();
    const match = problems.find((problem) => problem.where === where && problem.message.includes(fragment));
    expect(match, JSON.stringify(problems, null, 1)).toBeDefined();
    expect(match?.severity).toBe('error');
    expect(match?.line).toBe(line);
  });

  it('formats a problem as <file>:<line>: <section>.<key>: <message>', async () => {
    const { dir, problems } = await validate(editedConfig({ 17: 'level = loud' }));
    expect(problems.map(formatConfigProblem)).toEqual([
      `${join(dir, 'config.ini')}:17: logging.level: 'loud' is not a log level; expected one of error, warn, info, debug`,
    ]);
  });

  it('reports every problem at once, sorted by line', async () => {
    const { problems } = await validate(editedConfig({ 2: 'id = ?', 11: 'region = x y', 17: 'level = loud' }));
    expect(problems.map((problem) => [problem.line, problem.where])).toEqual([
      [2, 'customer.id'],
      [11, 's3.region'],
      [17, 'logging.level'],
    ]);
  });
});

describe('validateConfigFile: valid variants', () => {
  it('accepts the minimal config with defaults filled in and paths beside the config file', async () => {
    const { dir, config, problems } = await validate(editedConfig());
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      file: join(dir, 'config.ini'),
      customer: { id: 'acme-001' },
      locations: [{ id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 }],
      openMeteo: {
        url: 'https://api.open-meteo.com/v1/forecast',
        variables: ['temperature_2m', 'relative_humidity_2m', 'wind_speed_10m', 'weather_code', 'is_day'],
        schedule: '*/15 * * * *',
        jitterSeconds: 30,
        timeoutSeconds: 30,
        callBudget: 'free',
      },
      s3: { bucket: 'open-meteo-source-bucket', region: 'eu-north-1', prefix: 'raw/', retrySchedule: '*/5 * * * *' },
      storage: { dir: join(dir, 'var'), maxDumpMb: 2048 },
      logging: { dir: join(dir, 'var', 'logs'), level: 'info', keepDays: 30 },
      network: {},
    });
    expect(config?.openMeteo.apiKey).toBeUndefined();
  });

  it.each([
    { name: '6-field cron', edits: { 7: 'schedule = 30 */15 * * * *' }, check: { openMeteo: { schedule: '30 */15 * * * *' } } },
    { name: 'weekday names in cron', edits: { 7: 'schedule = 0 6 * * MON-FRI' }, check: { openMeteo: { schedule: '0 6 * * MON-FRI' } } },
    { name: 'inline comments after values', edits: { 8: 'jitter_seconds = 5   ; spread the fleet', 12: 'prefix = site-a/raw/ # per site' }, check: { openMeteo: { jitterSeconds: 5 }, s3: { prefix: 'site-a/raw/' } } },
    { name: 'empty prefix', edits: { 12: 'prefix =' }, check: { s3: { prefix: '' } } },
    { name: 'empty optional value uses the default', edits: { 8: 'jitter_seconds =' }, check: { openMeteo: { jitterSeconds: 30 } } },
    { name: 'unicode names and negative coordinates', edits: { 4: 'sao_paulo = -23.5505, -46.6333, São Paulo\nzurich = 47.3769, 8.5417, Zürich, Schweiz' }, check: { locations: [{ id: 'sao_paulo', name: 'São Paulo', latitude: -23.5505, longitude: -46.6333 }, { id: 'zurich', name: 'Zürich, Schweiz' }] } },
    { name: 'location without a display name', edits: { 4: 'hq = 60, 25' }, check: { locations: [{ id: 'hq', name: 'hq', latitude: 60, longitude: 25 }] } },
    { name: 'custom variables keep their order', edits: { 8: 'variables = is_day, precipitation , temperature_2m' }, check: { openMeteo: { variables: ['is_day', 'precipitation', 'temperature_2m'] } } },
    { name: 'other numbers in range', edits: { 8: 'timeout_seconds = 300', 15: 'max_dump_mb = 1', 17: 'level = debug\nkeep_days = 3650' }, check: { openMeteo: { timeoutSeconds: 300 }, storage: { maxDumpMb: 1 }, logging: { level: 'debug', keepDays: 3650 } } },
    { name: 'proxy with credentials', edits: { 18: '[network]\nproxy = http://svc:pa55word@proxy.corp:8080' }, check: { network: { proxy: 'http://svc:pa55word@proxy.corp:8080' } } },
    { name: 'proxy = system (WinHTTP)', edits: { 18: '[network]\nproxy = system' }, check: { network: { proxy: 'system' } } },
    { name: 'proxy = direct', edits: { 18: '[network]\nproxy = direct' }, check: { network: { proxy: 'direct' } } },
    { name: 'proxy = a PAC file', edits: { 18: '[network]\nproxy = pac+http://wpad.corp.example/proxy.pac' }, check: { network: { proxy: 'pac+http://wpad.corp.example/proxy.pac' } } },
  ])('$name', async ({ edits, check }) => {
    const { config, problems } = await validate(editedConfig(edits));
    expect(problems).toEqual([]);
    expect(config).toMatchObject(check);
  });

  it('keeps Windows paths with backslashes, bare or quoted (and refuses them on Linux)', async () => {
    const text = editedConfig({ 14: 'dir = C:\\ProgramData\\Datapipe\\Agent', 17: 'level = info\ndir = "C:\\Program Files\\Datapipe\\new logs"' });
    const { config, problems } = await validate(text);
    if (process.platform === 'win32') {
      expect(problems).toEqual([]);
      expect(config?.storage.dir).toBe('C:\\ProgramData\\Datapipe\\Agent');
      expect(config?.logging.dir).toBe('C:\\Program Files\\Datapipe\\new logs');
      return;
    }
    // The messages quote the values as read: the scanner kept the backslashes and dropped the quotes.
    expect(problems.map((p) => [p.where, p.line, p.message.split(' is a ')[0]])).toEqual([
      ['storage.dir', 14, "'C:\\ProgramData\\Datapipe\\Agent'"],
      ['logging.dir', 18, "'C:\\Program Files\\Datapipe\\new logs'"],
    ]);
    expect(problems[0]?.message).toMatch(/is a Windows path, but this is Linux; use a path with '\/'/);
  });

  it('reads a Notepad file: UTF-8 BOM and CRLF line ends', async () => {
    const text = '\uFEFF' + editedConfig({ 4: 'jyvaskyla = 62.2415, 25.7209, Jyväskylä' }).replaceAll('\n', '\r\n');
    const { config, problems } = await validate(text);
    expect(problems).toEqual([]);
    expect(config?.customer.id).toBe('acme-001');
    expect(config?.locations).toEqual([{ id: 'jyvaskyla', name: 'Jyväskylä', latitude: 62.2415, longitude: 25.7209 }]);
    expect(config?.s3.region).toBe('eu-north-1');
  });

  it('accepts an S3-compatible endpoint with a credentials file and a non-AWS region name', async () => {
    const edits = { 11: 'region = garage', 12: 'prefix = raw/\nendpoint = http://127.0.0.1:9000\ncredentials_file = secrets/credentials.ini' };
    const dir = await makeDir({ 'config.ini': editedConfig(edits), 'secrets/credentials.ini': CREDENTIALS });
    await chmod(join(dir, 'secrets/credentials.ini'), 0o600);
    const { config, problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(problems).toEqual([]);
    expect(config?.s3).toMatchObject({ region: 'garage', endpoint: 'http://127.0.0.1:9000', credentialsFile: join(dir, 'secrets', 'credentials.ini') });
  });

  it('accepts a credentials file with the keys at the top, without a section', async () => {
    const dir = await makeDir({ 'config.ini': editedConfig({ 12: 'credentials_file = credentials' }), credentials: CREDENTIALS.replace('[default]\n', '') });
    await chmod(join(dir, 'credentials'), 0o600);
    const { config, problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(problems).toEqual([]);
    expect(config?.s3.credentialsFile).toBe(join(dir, 'credentials'));
  });

  it('accepts a CA file with a PEM certificate and resolves it beside config.ini', async () => {
    const { dir, config, problems } = await validate(editedConfig({ 18: '[network]\nca_file = certs/corp-root.pem' }), { 'certs/corp-root.pem': CA_PEM });
    expect(problems).toEqual([]);
    expect(config?.network.caFile).toBe(join(dir, 'certs', 'corp-root.pem'));
  });

  it('resolves relative paths against the config folder, not the working directory', async () => {
    const { dir, config } = await validate(editedConfig({ 14: 'dir = data/../spool', 17: 'level = info\ndir = ../logs-beside' }));
    expect(process.cwd()).not.toBe(dir);
    expect(config?.storage.dir).toBe(join(dir, 'spool'));
    expect(config?.logging.dir).toBe(join(dir, '..', 'logs-beside'));
  });

  it('puts the log folder under a custom storage dir by default', async () => {
    const { dir, config } = await validate(editedConfig({ 14: 'dir = D1' }));
    expect(config?.logging.dir).toBe(join(dir, 'D1', 'logs'));
  });
});

describe('validateConfigFile: warnings', () => {
  it.each([
    {
      name: 'free API budget nearly spent',
      edits: { 4: Array.from({ length: 90 }, (_, i) => `site_${i} = ${i / 10}, 10`).join('\n') },
      where: 'open_meteo.schedule', line: 96, fragment: '90 location(s) x 5 variable(s) = 90 call(s) per cycle',
    },
    { name: 'commercial endpoint without api_key', edits: { 6: 'url = https://customer-api.open-meteo.com/v1/forecast' }, where: 'open_meteo.url', line: 6, fragment: 'open_meteo.api_key is not set' },
  ])('$name', async ({ edits, where, line, fragment }) => {
    const { config, problems } = await validate(editedConfig(edits));
    expect(config).toBeDefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', where, line });
    expect(problems[0]?.message).toContain(fragment);
  });

  it.skipIf(process.platform === 'win32')('warns when the credentials file is readable by others and says the chmod', async () => {
    const dir = await makeDir({ 'config.ini': editedConfig({ 12: 'credentials_file = credentials.ini' }), 'credentials.ini': CREDENTIALS });
    await chmod(join(dir, 'credentials.ini'), 0o644);
    const { config, problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(config).toBeDefined();
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', where: 's3.credentials_file', line: 12 })]);
    expect(problems[0]?.message).toContain(`mode 0644); run \`chmod 600 ${join(dir, 'credentials.ini')}\``);
  });

  it('warns about more than 1,000 locations', async () => {
    const lines = Array.from({ length: 1001 }, (_, i) => `site_${i} = ${(i % 180) - 89.5}, ${(i % 360) - 179.5}`);
    const { config, problems } = await validate(editedConfig({ 4: lines.join('\n'), 7: 'schedule = 0 */4 * * *' }));
    expect(config?.locations).toHaveLength(1001);
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', where: 'locations', line: 3 })]);
    expect(problems[0]?.message).toContain('1001 locations need 2 requests per cycle');
  });

  it('loadConfig returns warnings without throwing', async () => {
    const dir = await makeDir({ 'config.ini': editedConfig({ 6: 'url = https://customer-api.open-meteo.com/v1/forecast' }) });
    const { config, warnings } = await loadConfig(join(dir, 'config.ini'));
    expect(config.openMeteo.callBudget).toBe('none');
    expect(warnings.map((warning) => warning.where)).toEqual(['open_meteo.url']);
  });
});

describe('secrets are never echoed', () => {
  const SECRET = 'Zq9SuperSecretValue77';
  it.each([
    { name: 'api key with spaces', edits: { 8: `api_key = ${SECRET} x` }, where: 'open_meteo.api_key' },
    { name: 'api key with the free host', edits: { 8: `api_key = ${SECRET}` }, where: 'open_meteo.api_key' },
    { name: 'api key in the url', edits: { 6: `url = https://customer-api.open-meteo.com/v1/forecast?apikey=${SECRET}` }, where: 'open_meteo.url' },
    { name: 'password in the endpoint', edits: { 12: `endpoint = http://user:${SECRET}@127.0.0.1:9000` }, where: 's3.endpoint' },
    { name: 'proxy password with a bad scheme', edits: { 18: `[network]\nproxy = socks5://svc:${SECRET}@proxy:1080` }, where: 'network.proxy' },
    { name: 'proxy credentials without a scheme', edits: { 18: `[network]\nproxy = svc:${SECRET}@proxy:8080` }, where: 'network.proxy' },
    { name: 'secret key in [s3]', edits: { 12: `aws_secret_access_key = ${SECRET}` }, where: 's3.aws_secret_access_key' },
    { name: 'secret under an unknown key', edits: { 12: `secret = ${SECRET}` }, where: 's3.secret' },
    { name: 'secret as a location', edits: { 4: `aws_secret_access_key = ${SECRET}` }, where: 'locations.aws_secret_access_key' },
    { name: 'secret pasted on a line of its own', edits: { 12: SECRET }, where: 's3' },
  ])('$name', async ({ edits, where }) => {
    const { problems } = await validate(editedConfig(edits));
    expect(problems.map((problem) => problem.where)).toContain(where);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('prints the api key as **REDACTED** in the config object', async () => {
    const { config } = await validate(editedConfig({ 6: 'url = https://customer-api.open-meteo.com/v1/forecast', 8: `api_key = ${SECRET}` }));
    expect(config?.openMeteo.apiKey?.reveal()).toBe(SECRET);
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(JSON.stringify(config)).toContain('**REDACTED**');
  });
});

describe('reading the file', () => {
  it('reports a missing file as one clear error, and loadConfig throws a ConfigError', async () => {
    const dir = await makeDir();
    const file = join(dir, 'nope.ini');
    const { config, problems } = await validateConfigFile(file);
    expect(config).toBeUndefined();
    expect(problems).toEqual([{ severity: 'error', file, where: 'file', message: expect.stringContaining('config file not found; check the path, or copy config.example.ini') }]);
    const thrown = await loadConfig(file).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(`${file}: file: ${problems[0]?.message}`);
  });

  it('reports a folder given as the config file', async () => {
    const dir = await makeDir();
    const { problems } = await validateConfigFile(dir);
    expect(problems).toEqual([expect.objectContaining({ where: 'file', message: expect.stringContaining('this is a folder, not a file') })]);
  });

  it('reports a UTF-16 file with how to save it as UTF-8', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(editedConfig(), 'utf16le')]);
    const dir = await makeDir({ 'config.ini': utf16 as unknown as string });
    const { problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(problems).toEqual([expect.objectContaining({ where: 'file', message: expect.stringContaining('saved as UTF-16') })]);
  });

  it('reports the line of a Windows-1252 character', async () => {
    const latin1 = Buffer.from(editedConfig({ 4: 'jyvaskyla = 62.2415, 25.7209, Jyväskylä' }), 'latin1');
    const dir = await makeDir({ 'config.ini': latin1 as unknown as string });
    const { problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(problems).toEqual([expect.objectContaining({ where: 'file', line: 4, message: expect.stringContaining('not valid UTF-8') })]);
  });
});

describe('config.example.ini', () => {
  it('validates with zero errors and zero warnings and holds the two example locations', async () => {
    const { config, problems } = await validateConfigFile(new URL('../../config.example.ini', import.meta.url).pathname);
    expect(problems).toEqual([]);
    expect(config?.locations).toEqual([
      { id: 'helsinki', name: 'Helsinki', latitude: 60.1695, longitude: 24.9354 },
      { id: 'jyvaskyla', name: 'Jyväskylä', latitude: 62.2415, longitude: 25.7209 },
    ]);
  });

  it('documents every key of every section', async () => {
    const text = await readFile(new URL('../../config.example.ini', import.meta.url), 'utf8');
    const { sectionSchemas } = await import('../../agent/config/sections.ts');
    for (const [section, schema] of Object.entries(sectionSchemas)) {
      expect(text).toContain(`[${section}]`);
      for (const key of Object.keys(schema)) expect(text, `${section}.${key}`).toMatch(new RegExp(`^;? ?${key} =`, 'm'));
    }
  });
});

describe('credentials file mistakes', () => {
  it('warns when credentials.ini is beside the config but credentials_file is commented out, naming the line', async () => {
    const text = editedConfig({});
    const withComment = text.replace('[s3]\n', '[s3]\n; credentials_file = credentials.ini\n');
    const { problems } = await validate(withComment, { 'credentials.ini': CREDENTIALS });
    const line = withComment.split('\n').indexOf('; credentials_file = credentials.ini') + 1;
    expect(problems).toEqual([
      expect.objectContaining({ severity: 'warning', where: 's3.credentials_file', message: expect.stringContaining(`remove the ';' at the start of line ${line} so it reads: credentials_file = credentials.ini`) }),
    ]);
  });

  it('says to save a UTF-16 credentials file as UTF-8', async () => {
    const dir = await makeDir({ 'config.ini': editedConfig({}).replace('[s3]\n', '[s3]\ncredentials_file = credentials.ini\n') });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'credentials.ini'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CREDENTIALS, 'utf16le')]), { mode: 0o600 });
    const { problems } = await validateConfigFile(join(dir, 'config.ini'));
    expect(problems).toEqual([expect.objectContaining({ severity: 'error', where: 's3.credentials_file', message: expect.stringContaining('is saved as UTF-16 ("Unicode"); save it as UTF-8') })]);
  });
});
