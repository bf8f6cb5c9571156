// The doctor against the real local peers (S3-protocol server, Open-Meteo stand-in, proxy, TLS
// server), with each failure provoked for real. The OS service line gets a fixed ServiceStatus:
// this machine has no service manager; the CLI test runs the real query.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctorChecks, formatDoctorReport } from '../../agent/doctor/run-checks.ts';
import type { CheckResult, DoctorReport } from '../../agent/doctor/types.ts';
import type { ServiceStatus } from '../../agent/service/types.ts';
import { BUCKET, createSite, runCli, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startTargetServer, startTestProxy } from '../helpers/proxy.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const tempDir = useTempDirs();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

const RUNNING: ServiceStatus = { manager: 'systemd', name: 'datapipe-agent', installed: true, running: true, detail: 'active (running)' };
const TLS_DIR = join(import.meta.dirname, '..', 'fixtures', 'tls');

interface Peers {
  s3: TestS3Server;
  openMeteo: OpenMeteoStub;
}

async function startPeers(buckets = [BUCKET]): Promise<Peers> {
  const s3 = await startS3Server({ buckets });
  const openMeteo = await startOpenMeteoStub();
  cleanups.push(() => s3.close(), () => openMeteo.close());
  return { s3, openMeteo };
}

async function siteFor(peers: Peers, options: { extra?: string; secretAccessKey?: string; maxDumpMb?: number } = {}): Promise<Site> {
  return createSite({ dir: await tempDir(), ...peers, ...options });
}

function doctor(site: Site, options: { service?: ServiceStatus; serviceUser?: string } = {}): Promise<DoctorReport> {
  return runDoctorChecks(site.configFile, { queryService: async () => options.service ?? RUNNING, serviceUser: options.serviceUser ?? 'datapipe-agent-absent', probeTimeoutMs: 5_000 });
}

function check(report: DoctorReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
}

/** A server that answers every request 403 with a Date header `skewMs` off the real clock. */
async function startSkewedServer(skewMs: number): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.sendDate = false;
    res.writeHead(403, { date: new Date(Date.now() + skewMs).toUTCString(), 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function pipePattern(): Promise<RegExp> {
  const sql = await readFile(join(import.meta.dirname, '..', '..', 'sql', '02_ingest.sql'), 'utf8');
  const pattern = /PATTERN\s*=\s*'([^']+)'/.exec(sql)?.[1];
  if (!pattern) throw new Error('no PATTERN in sql/02_ingest.sql');
  return new RegExp(pattern);
}

describe('doctor', () => {
  it('passes every check on a healthy site and leaves one canary object the pipe never ingests', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    const report = await doctor(site);
    const failedOrWarned = report.checks.filter((c) => c.status === 'FAIL' || c.status === 'WARN');
    expect(failedOrWarned).toEqual([]);
    for (const id of ['config', 'folders.storage', 'folders.logs', 'disk', 's3.credentials', 'open-meteo.proxy', 'open-meteo.connect', 's3.connect', 'open-meteo.call', 's3.canary', 'clock', 'service']) {
      expect(check(report, id).status).toBe('PASS');
    }
    expect(check(report, 'open-meteo.call').detail).toMatch(/temperature_2m=-?\d/);
    expect(peers.openMeteo.requests.filter((r) => r.path === '/v1/forecast')).toHaveLength(1);
    const objects = await peers.s3.listObjects(BUCKET);
    expect(objects.map((o) => o.key)).toEqual([expect.stringMatching(/^raw\/customer=acme-001\/canary\/doctor-\d{8}T\d{9}Z\.json$/)]);
    const key = objects[0]?.key ?? '';
    expect((await pipePattern()).test(key.replace(/^raw\//, ''))).toBe(false);
    expect(JSON.parse(objects[0]?.body.toString() ?? '{}')).toMatchObject({ record_type: 'doctor_canary', customer_id: 'acme-001' });
    expect(formatDoctorReport(report)).toMatch(/0 failed/);
  });

  it('lists every config problem and skips what needs a valid config', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    const text = await readFile(site.configFile, 'utf8');
    await writeFile(site.configFile, text.replace('region = us-east-1', 'region = ').replace('[customer]', '[customer]\ncolour = blue'));
    const report = await doctor(site);
    const config = check(report, 'config');
    expect(config.status).toBe('FAIL');
    expect(config.detail).toContain('s3.region');
    expect(config.detail).toContain('customer.colour');
    expect(config.fix).toContain('validate');
    expect(check(report, 'rest').status).toBe('SKIP');
    expect(peers.s3.putRequests).toBe(0);
  });

  it('fails a storage subfolder that is not a folder, with a fix', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    await mkdir(site.storageDir, { recursive: true });
    await writeFile(join(site.storageDir, 'dump'), 'a file where the dump folder should be');
    const report = await doctor(site);
    const folders = check(report, 'folders.storage');
    expect(folders.status).toBe('FAIL');
    expect(folders.detail).toContain(join(site.storageDir, 'dump'));
    expect(folders.fix).toBeTruthy();
  });

  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)('as root, fails a folder the service account cannot write', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    await mkdir(site.storageDir, { recursive: true });
    await chmod(site.storageDir, 0o700); // root's; `nobody` stands in for the service account
    const report = await doctor(site, { serviceUser: 'nobody' });
    const folders = check(report, 'folders.storage');
    expect(folders.status).toBe('FAIL');
    expect(folders.detail).toContain('not writable by the service account nobody');
    expect(folders.fix).toContain('chown');
  });

  it('fails free disk space when the disk cannot hold the dump cap', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers, { maxDumpMb: 1_048_576 }); // 1 TiB
    const disk = check(await doctor(site), 'disk');
    expect(disk.status).toBe('FAIL');
    expect(disk.fix).toContain('max_dump_mb');
  });

  it('fails Open-Meteo when it is down, and skips the request', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    await peers.openMeteo.close();
    const report = await doctor(site);
    expect(check(report, 'open-meteo.connect')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('ECONNREFUSED') });
    expect(check(report, 'open-meteo.call').status).toBe('SKIP');
    expect(check(report, 's3.canary').status).toBe('PASS');
  });

  it('fails the Open-Meteo request on a 400 and points at the variables', async () => {
    const peers = await startPeers();
    peers.openMeteo.setDefault({ kind: 'status', status: 400, reason: 'Cannot initialize WeatherVariable from invalid String value' });
    const site = await siteFor(peers);
    const call = check(await doctor(site), 'open-meteo.call');
    expect(call.status).toBe('FAIL');
    expect(call.detail).toContain('bad-request');
    expect(call.fix).toContain('[open_meteo] variables');
  });

  it('shows the free API budget the config spends and uses, and says what to change when the free host redirects the key', async () => {
    const s3 = await startS3Server({ buckets: [BUCKET] });
    const openMeteo = await startOpenMeteoStub({ freeApi: true });
    cleanups.push(() => s3.close(), () => openMeteo.close());
    const site = await createSite({ dir: await tempDir(), s3, openMeteo, schedule: '0 */3 * * *', extra: '' });
    await writeFile(site.configFile, (await readFile(site.configFile, 'utf8')).replace('jitter_seconds = 0', 'jitter_seconds = 0\ncall_budget = free\napi_key = om-key-123456'));
    await mkdir(join(site.storageDir, 'state'), { recursive: true });
    const hour = new Date().toISOString().slice(0, 13);
    await writeFile(join(site.storageDir, 'state', 'open-meteo-budget.json'), JSON.stringify({ hour, hourCalls: 120, day: hour.slice(0, 10), dayCalls: 300, recent: [] }));
    const report = await doctor(site);
    const budget = check(report, 'open-meteo.budget');
    expect(budget.status).toBe('PASS');
    expect(budget.detail).toContain('2 location(s) x 3 variable(s) = 2 call(s) per cycle (each location costs max(1, variables/10) calls), 8 cycle(s) per day');
    expect(budget.detail).toContain('used now: 0 of 600 calls in the last minute, 120 of 5000 this hour, 300 of 10000 today (UTC)');
    const call = check(report, 'open-meteo.call');
    expect(call.status).toBe('FAIL');
    expect(call.detail).toContain('(HTTP 303)');
    expect(call.detail).toContain('Fix: set open_meteo.url = https://customer-api.open-meteo.com/v1/forecast');
    expect(JSON.stringify(report)).not.toContain('om-key-123456');
  });

  it.each([
    ['wrong credentials', { secretAccessKey: 'not-the-right-secret-key-000000000000' }, [BUCKET], 'SignatureDoesNotMatch'],
    ['no bucket', {}, [], 'NoSuchBucket'],
  ])('fails the S3 canary with %s and says what to fix', async (_name, siteOptions, buckets, code) => {
    const peers = await startPeers(buckets);
    const site = await siteFor(peers, siteOptions);
    const canary = check(await doctor(site), 's3.canary');
    expect(canary.status).toBe('FAIL');
    expect(canary.detail).toContain(code);
    expect(canary.fix).toBeTruthy();
    expect(canary.detail).not.toContain('not-the-right-secret-key');
  });

  it('fails S3 when it is down, and skips the canary', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    await peers.s3.setDown(true);
    const report = await doctor(site);
    expect(check(report, 's3.connect')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('ECONNREFUSED') });
    expect(check(report, 's3.canary').status).toBe('SKIP');
  });

  it('names the proxy each endpoint uses and fails when it does not accept connections', async () => {
    const peers = await startPeers();
    const proxy = await startTestProxy();
    cleanups.push(() => proxy.close());
    const good = await doctor(await siteFor(peers, { extra: `[network]\nproxy = ${proxy.url}` }));
    expect(check(good, 'open-meteo.proxy')).toMatchObject({ status: 'PASS', detail: expect.stringContaining(proxy.url.replace(/\/$/, '')) });
    expect(check(good, 's3.canary').status).toBe('PASS');
    expect(proxy.requests.length).toBeGreaterThan(0);

    const port = await closedPort();
    const bad = await doctor(await siteFor(peers, { extra: `[network]\nproxy = http://user:proxy-pass-123@127.0.0.1:${port}` }));
    for (const id of ['open-meteo.proxy', 's3.proxy']) {
      expect(check(bad, id)).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('ECONNREFUSED') });
    }
    expect(JSON.stringify(bad)).not.toContain('proxy-pass-123');
  });

  it('fails TLS to an endpoint whose CA is not trusted, and passes with network.ca_file', async () => {
    const peers = await startPeers();
    const tls = { key: await readFile(join(TLS_DIR, 'server.key')), cert: await readFile(join(TLS_DIR, 'server.crt')) };
    const target = await startTargetServer({ tls });
    cleanups.push(() => target.close());
    const site = await siteFor(peers);
    const text = await readFile(site.configFile, 'utf8');
    await writeFile(site.configFile, text.replace(/endpoint = .*/, `endpoint = ${target.url}`));
    const untrusted = check(await doctor(site), 's3.connect');
    expect(untrusted.status).toBe('FAIL');
    expect(untrusted.fix).toContain('network.ca_file');

    await writeFile(site.configFile, `${await readFile(site.configFile, 'utf8')}\n[network]\nca_file = ${join(TLS_DIR, 'ca.crt')}\n`);
    const report = await doctor(site);
    expect(check(report, 's3.connect').status).toBe('PASS');
    expect(check(report, 'network.ca_file').status).toBe('PASS');
  });

  it.each([
    [20 * 60_000, 'FAIL'],
    [-5 * 60_000, 'WARN'],
  ])('judges a clock %d ms off as %s', async (skewMs, status) => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    const skewed = await startSkewedServer(skewMs);
    const text = await readFile(site.configFile, 'utf8');
    await writeFile(site.configFile, text.replace(/endpoint = .*/, `endpoint = ${skewed}`));
    const clock = check(await doctor(site), 'clock');
    expect(clock.status).toBe(status);
    expect(clock.detail).toContain(skewMs > 0 ? 'behind' : 'ahead');
    expect(clock.fix).toContain('NTP');
  });

  it('warns when the service is not installed, with the install command', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    const report = await doctor(site, { service: { manager: 'systemd', name: 'datapipe-agent', installed: false, running: false, detail: 'unit not found' } });
    expect(check(report, 'service')).toMatchObject({ status: 'WARN', fix: expect.stringContaining('service install -c') });
  });
});

describe('doctor command', () => {
  it('exits 0 with a checklist on a healthy site, and 1 with --json output when something fails', async () => {
    const peers = await startPeers();
    const site = await siteFor(peers);
    const ok = await runCli(['doctor', '-c', site.configFile]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^PASS {2}S3: canary upload/m);
    expect(ok.stdout).toMatch(/^(PASS|WARN) {2}OS service/m);

    await peers.s3.setDown(true);
    const failed = await runCli(['doctor', '-c', site.configFile, '--json']);
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.stdout) as DoctorReport;
    expect(report.summary.FAIL).toBeGreaterThan(0);
    expect(report.checks.find((c) => c.id === 's3.connect')?.fix).toBeTruthy();
  });
});
