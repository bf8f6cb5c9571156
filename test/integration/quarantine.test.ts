// The quarantine through the real CLI: what a drain sets aside is an error, visible in `status`
// and the support bundle, never sent, never deleted, and sent again by `requeue` once fixed; a
// FIFO in the dump neither hangs `run` nor keeps SIGTERM from stopping it.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { BUCKET, createSite, readLogs, runCli, startCli, waitFor, type Site } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';

function readZipEntry(path: string, wanted: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${wanted} not in the zip`)));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== wanted) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        });
      });
      zip.readEntry();
    });
  });
}

describe.skipIf(process.platform === 'win32')('the quarantine through the real CLI', () => {
  const tempDir = useTempDirs();
  let s3: TestS3Server;
  let openMeteo: OpenMeteoStub;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    openMeteo = await startOpenMeteoStub();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    await openMeteo.close();
    await s3.close();
  });

  async function siteWithHostileDump(): Promise<{ site: Site; damaged: string; body: Buffer; fifo: string }> {
    const site = await createSite({ dir: await tempDir(), s3, openMeteo });
    expect((await runCli(['init', '-c', site.configFile])).code).toBe(ExitCode.ok);
    const body = Buffer.from('{"record_id":"r-1","record_type":"agent_status"}\n');
    const damaged = cycleFileName('acme-001', new Date(Date.UTC(2026, 10, 21, 10, 0)), body);
    await writeFile(join(site.storageDir, 'dump', damaged), body.subarray(0, 12)); // truncated
    const fifo = cycleFileName('acme-001', new Date(Date.UTC(2026, 10, 21, 10, 1)), Buffer.from('x'));
    execFileSync('mkfifo', [join(site.storageDir, 'dump', fifo)]);
    return { site, damaged, body, fifo };
  }

  it('sets aside, reports, keeps, and requeues', async () => {
    const { site, damaged, body, fifo } = await siteWithHostileDump();
    const drained = await runCli(['drain', '-c', site.configFile]);
    expect(drained.code).toBe(ExitCode.failed);
    expect(drained.stderr).toMatch(/2 entries are in the quarantine folder/);
    expect(await s3.listObjects(BUCKET)).toEqual([]);
    expect(await readLogs(site)).toMatch(logLine('drain', LogEvents.entryQuarantined, 'reason=ContentHashMismatch'));

    const status = await runCli(['status', '-c', site.configFile]);
    expect(status.stdout).toContain('Quarantine:   2 entries NOT sent');
    expect(status.stdout).toContain(`${damaged}: ContentHashMismatch`);
    const json = JSON.parse((await runCli(['status', '-c', site.configFile, '--json'])).stdout) as { quarantine: { entries: { name: string; code: string }[] } };
    expect(json.quarantine.entries.map((entry) => [entry.name, entry.code])).toEqual([[damaged, 'ContentHashMismatch'], [fifo, 'NotARegularFile']].sort());

    const bundle = join(site.dir, 'bundle.zip');
    expect((await runCli(['support-bundle', '-c', site.configFile, '-o', bundle])).code).toBe(ExitCode.ok);
    const inventory = JSON.parse(await readZipEntry(bundle, 'spool-inventory.json')) as { quarantine: { entries: { name: string; type?: string }[] } };
    expect(inventory.quarantine.entries.find((entry) => entry.name === fifo)?.type).toBe('fifo');

    // A person restores the file from a backup, then sends it again; the FIFO cannot be sent.
    await writeFile(join(site.storageDir, 'quarantine', damaged), body);
    const listed = await runCli(['requeue', '-c', site.configFile]);
    expect(listed.stdout).toContain(fifo);
    const requeued = await runCli(['requeue', '-c', site.configFile, damaged, fifo]);
    expect(requeued.code).toBe(ExitCode.failed);
    expect(requeued.stdout).toContain(`Requeued ${damaged}`);
    expect(requeued.stderr).toMatch(/is not a regular file/);
    await runCli(['drain', '-c', site.configFile]);
    expect((await s3.listObjects(BUCKET)).map((object) => object.key.split('/').pop())).toEqual([damaged]);
    expect((await readdir(join(site.storageDir, 'quarantine'))).sort()).toEqual([fifo, `${fifo}.reason.json`]);
    const all = await runCli(['requeue', '-c', site.configFile, '--all']);
    expect(all.code).toBe(ExitCode.failed);
    expect(all.stderr).toContain(`${fifo} is not a regular file`);
  }, 60_000);

  it('a FIFO in the dump does not hang `run`, and SIGTERM stops it', async () => {
    const { site, fifo } = await siteWithHostileDump();
    child = startCli(['run', '-c', site.configFile]);
    const quarantined = async (): Promise<boolean> => (await readdir(join(site.storageDir, 'quarantine')).catch((): string[] => [])).includes(fifo);
    // Before the fix the first drain pass blocked on the FIFO here, and SIGTERM then never ended `run`.
    await waitFor(quarantined, 15_000, 'the FIFO to be quarantined').catch(() => undefined);
    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const stopped = await Promise.race([exit, new Promise<string>((resolve) => setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000))]);
    expect(stopped).toBe(ExitCode.ok);
    expect(await quarantined()).toBe(true);
  }, 60_000);
});
