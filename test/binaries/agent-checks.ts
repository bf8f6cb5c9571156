// The checks both binaries must pass: `--version` names the package version and the commit the
// build embedded; `validate` accepts config.example.ini; `once` against the local S3-protocol
// server and the Open-Meteo stand-in exits 0 and leaves every location's observation in the bucket.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readBuildCommit } from '../../installer/build-bundle.ts';
import { BUCKET, createSite, recordsInBucket } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import { describeRun, type BinaryRunner } from './binary-runner.ts';
import { check } from './report.ts';

export interface AgentCheckContext {
  repoRoot: string;
  version: string;
  /** Where this binary can read and write temp sites (inside the wine chroot for Windows). */
  tempBase: string;
}

export async function runAgentChecks(runner: BinaryRunner, context: AgentCheckContext): Promise<void> {
  const expectedVersion = `${context.version} (commit ${readBuildCommit(context.repoRoot)})`;
  await check(`${runner.label}: --version`, async () => {
    const result = await runner.run(['--version']);
    if (result.code !== 0 || result.stdout.trim() !== expectedVersion) throw new Error(`expected '${expectedVersion}': ${describeRun(result)}`);
    return result.stdout.trim();
  });

  await withTempDir(context.tempBase, async (dir) => {
    // A copy, so the storage folder it names (./var, relative to the file) is writable under wine.
    const example = join(dir, 'config.example.ini');
    await copyFile(join(context.repoRoot, 'config.example.ini'), example);
    await check(`${runner.label}: validate config.example.ini`, async () => {
      const result = await runner.run(['validate', '-c', runner.pathFor(example)], { cwd: dir });
      if (result.code !== 0 || !/valid \(0 warning/.test(result.stdout)) throw new Error(describeRun(result));
      return result.stdout.trim().split('\n')[0] ?? '';
    });
  });

  await withTempDir(context.tempBase, (dir) => check(`${runner.label}: once -> S3`, () => runOnceCheck(runner, dir)));
}

async function runOnceCheck(runner: BinaryRunner, dir: string): Promise<string> {
  const s3 = await startS3Server({ buckets: [BUCKET] });
  const openMeteo = await startOpenMeteoStub();
  try {
    const site = await createSite({ dir, s3, openMeteo });
    const result = await runner.run(['once', '-c', runner.pathFor(site.configFile)], { cwd: dir });
    if (result.code !== 0) throw new Error(describeRun(result));
    const records = await recordsInBucket(s3);
    const observed = new Set(records.filter(({ record }) => record.record_type === 'observation')
      .map(({ record }) => (record.location as { id?: string } | undefined)?.id));
    const missing = ['helsinki', 'jyvaskyla'].filter((id) => !observed.has(id));
    if (missing.length > 0) throw new Error(`exit 0 but no observation in the bucket for ${missing.join(', ')} (${records.length} record(s) found)`);
    const keys = new Set(records.map(({ key }) => key));
    return `exit 0; ${records.length} record(s) in ${keys.size} object(s): ${[...keys].join(', ')}`;
  } finally {
    await Promise.all([s3.close(), openMeteo.close()]);
  }
}

export async function withTempDir<T>(base: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(base, 'datapipe-smoke-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
