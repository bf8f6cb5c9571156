// The support bundle, end to end: the real CLI writes the zip for a site whose logs contain the
// secrets (as if something had logged them), and the test unzips it (yauzl) and proves that no
// secret survives in any entry, in any of the forms it could take.
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { buildBundleEntries } from '../../agent/support/bundle.ts';
import { createSite, runCli, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startTestProxy } from '../helpers/proxy.ts';
import { startS3Server, TEST_S3_CREDENTIALS } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const tempDir = useTempDirs();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

const SECRET_KEY = 'bundle-test-secret-access-key-0123456789';
const SESSION_TOKEN = 'FwoGZXIvYXdzEBundleTestSessionToken+/=0123456789';
const API_KEY = 'om-api-key-Bundle-4711';
const PROXY_USER = 'supportuser';
const PROXY_PASSWORD = 'Proxy@Pass-9876';
const ENV_SECRET = 'env-aws-secret-bundle-test-555';

function secretForms(): string[] {
  return [
    SECRET_KEY, SESSION_TOKEN, encodeURIComponent(SESSION_TOKEN), API_KEY, PROXY_PASSWORD, encodeURIComponent(PROXY_PASSWORD),
    Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'), ENV_SECRET,
  ];
}

function readZip(path: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, string>();
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

async function leakySite(): Promise<Site> {
  const s3 = await startS3Server({ buckets: ['open-meteo-source-bucket'] });
  const openMeteo = await startOpenMeteoStub();
  const proxy = await startTestProxy({ requireAuth: { user: PROXY_USER, password: PROXY_PASSWORD } });
  cleanups.push(() => s3.close(), () => openMeteo.close(), () => proxy.close());
  const proxyUrl = `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@${proxy.url.replace(/^http:\/\//, '').replace(/\/$/, '')}`;
  const site = await createSite({ dir: await tempDir(), s3, openMeteo, extra: `[network]\nproxy = ${proxyUrl}\n` });
  const config = await readFile(site.configFile, 'utf8');
  await writeFile(site.configFile, config.replace('timeout_seconds = 5', `timeout_seconds = 5\napi_key = ${API_KEY}`));
  await writeFile(join(site.dir, 'credentials.ini'), `[default]\naws_access_key_id = ${s3.credentials.accessKeyId}\naws_secret_access_key = ${SECRET_KEY}\naws_session_token = ${SESSION_TOKEN}\n`);

  await mkdir(site.logDir, { recursive: true });
  const today = new Date().toISOString().slice(0, 10);
  await writeFile(join(site.logDir, `agent-${today}.log`), [
    `2026-11-21T10:00:00.000Z error s3: Upload failed. secret=${SECRET_KEY} token=${SESSION_TOKEN}`,
    `2026-11-21T10:00:01.000Z warn  open-meteo: GET https://customer-api.open-meteo.com/v1/forecast?latitude=1&apikey=${API_KEY}&current=x`,
    `2026-11-21T10:00:02.000Z debug network: proxy ${proxyUrl} Proxy-Authorization: Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`,
    `2026-11-21T10:00:03.000Z debug agent: env AWS_SECRET_ACCESS_KEY=${ENV_SECRET} password ${PROXY_PASSWORD}`,
    `2026-11-21T10:00:04.000Z info  collect: Cycle finished. ok=2 failed=0`,
    '',
  ].join('\n'));
  const old = join(site.logDir, 'agent-2020-01-01.log');
  await writeFile(old, 'an old line\n');
  const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
  await utimes(old, tenDaysAgo, tenDaysAgo);

  const dumpName = 'acme-001_20261120T101503123Z_3f9a0c1d2e4b5a69.ndjson';
  await mkdir(join(site.storageDir, 'dump'), { recursive: true });
  await mkdir(join(site.storageDir, 'state'), { recursive: true });
  await writeFile(join(site.storageDir, 'dump', dumpName), '{"record":1}\n');
  await writeFile(join(site.storageDir, 'state', 'status.json'), JSON.stringify({
    stateVersion: 1, agentVersion: '0.0.0', locations: {},
    dumpFailures: { [dumpName]: { attempts: 3, lastAttemptAt: '2026-11-21T09:00:00.000Z', lastError: 'NetworkError' } },
  }));
  return site;
}

describe('support-bundle command', () => {
  it('writes one zip with an index, masked config, recent logs, status, inventory and facts, and no secret anywhere', async () => {
    const site = await leakySite();
    const output = join(site.dir, 'bundle.zip');
    const result = await runCli(['support-bundle', '-c', site.configFile, '-o', output, '--days', '3'], { env: { AWS_SECRET_ACCESS_KEY: ENV_SECRET } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(output);

    const entries = await readZip(output);
    const names = [...entries.keys()];
    expect(names).toEqual(expect.arrayContaining([
      'README.txt', 'config/config.ini', 'config/effective-config.json', 'config/credentials-keys.json', 'status.json',
      'spool-inventory.json', 'network.json', 'clock.json', 'system/versions.json', 'system/os.json', 'system/service.json',
    ]));
    const today = new Date().toISOString().slice(0, 10);
    expect(names).toContain(`logs/agent-${today}.log`);
    expect(names).not.toContain('logs/agent-2020-01-01.log');
    for (const name of names.filter((n) => n !== 'README.txt')) expect(entries.get('README.txt')).toContain(name);

    for (const [name, content] of entries) {
      for (const secret of secretForms()) expect(content.includes(secret), `${name} contains a secret`).toBe(false);
    }
    expect(entries.get(`logs/agent-${today}.log`)).toContain('Cycle finished. ok=2');
    expect(entries.get(`logs/agent-${today}.log`)).toContain('**REDACTED**');

    const keys = JSON.parse(entries.get('config/credentials-keys.json') ?? '{}') as { keys: Record<string, string[]>; accessKeyId?: string };
    expect(keys.keys['[default]']).toEqual(['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token']);
    // The same fingerprint doctor shows, never the whole key id.
    const doctor = await runCli(['doctor', '-c', site.configFile]);
    const fingerprint = /access key id (\S+…\S+)/.exec(doctor.stdout)?.[1];
    expect(fingerprint).toBe(`${TEST_S3_CREDENTIALS.accessKeyId.slice(0, 4)}…${TEST_S3_CREDENTIALS.accessKeyId.slice(-4)}`);
    expect(keys.accessKeyId).toBe(fingerprint);
    for (const [name, content] of entries) expect(content.includes(TEST_S3_CREDENTIALS.accessKeyId), `${name} holds the whole key id`).toBe(false);
    const inventory = JSON.parse(entries.get('spool-inventory.json') ?? '{}') as { dump: { files: number; entries: { name: string; failures?: { attempts: number } }[] } };
    expect(inventory.dump.files).toBe(1);
    expect(inventory.dump.entries[0]?.failures?.attempts).toBe(3);
    expect(JSON.parse(entries.get('status.json') ?? '{}')).toMatchObject({ customer: 'acme-001', dump: { files: 1 } });
    expect(JSON.parse(entries.get('system/versions.json') ?? '{}')).toMatchObject({ node: process.version });
    const network = JSON.parse(entries.get('network.json') ?? '{}') as { configProxy: string; s3: { proxy: string } };
    expect(network.configProxy).toMatch(/^http:\/\/\*\*REDACTED\*\*@127\.0\.0\.1:\d+$/);
    // Bounded at 3 s per endpoint: on a loaded machine one may miss it, but each is accounted for.
    const clock = JSON.parse(entries.get('clock.json') ?? '{}') as { readings: unknown[]; unreachable: unknown[] };
    expect(clock.readings.length + clock.unreachable.length).toBe(2);
    expect(entries.get('config/config.ini')).toMatch(/api_key = \*\*REDACTED\*\*/);
  });

  it('measures the clock offset against both endpoints, through the authenticating proxy', async () => {
    const site = await leakySite();
    const entries = await buildBundleEntries(site.configFile, { days: 3, clockTimeoutMs: 30_000 });
    const clock = JSON.parse(entries.find((entry) => entry.name === 'clock.json')?.content ?? '{}') as { readings: { host: string; offsetMs: number }[] };
    expect(clock.readings).toHaveLength(2);
    for (const reading of clock.readings) expect(Math.abs(reading.offsetMs)).toBeLessThan(30_000);
    for (const entry of entries) {
      for (const secret of secretForms()) expect(entry.content.includes(secret), `${entry.name} contains a secret`).toBe(false);
    }
  });

  it('still writes a bundle when the config is invalid, with the problems', async () => {
    const dir = await tempDir();
    const configFile = join(dir, 'config.ini');
    await writeFile(configFile, '[customer]\nid = acme-001\n[open_meteo]\napi_key = om-key-invalid-config-123\ncolour = blue\n');
    const entries = await buildBundleEntries(configFile, { days: 3 });
    const byName = new Map(entries.map((entry) => [entry.name, entry.content]));
    expect(byName.get('README.txt')).toContain('THE CONFIG IS INVALID');
    expect(byName.get('config/problems.txt')).toContain('open_meteo.colour');
    expect(byName.get('config/config.ini')).toContain('colour = blue');
    expect(entries.some((entry) => entry.content.includes('om-key-invalid-config-123'))).toBe(false);
  });

  it('refuses a --days that is not a whole number of days', async () => {
    const result = await runCli(['support-bundle', '-c', 'config.example.ini', '--days', 'week']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--days');
  });
});
