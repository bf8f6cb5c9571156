// Section 1: draining a backlog of one-record cycle files, the agent against `aws s3 cp
// --recursive` and `rclone copy --transfers 32`, on the same local S3 server.
//
// Each run gets a fresh S3 server (in this process, which is idle while a client runs) and a
// freshly written copy of the same files, and is timed from process start to exit, so each
// client's start-up is included. Runs are interleaved (rclone, aws, agent, rclone, ...) so that
// noise from other work on the shared machine falls on all three alike. A run counts only if every
// record arrived; requests are counted at the server.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BIN } from '../helpers/agent-site.ts';
import { readBucket } from './bucket.ts';
import { runMeasured, versionOf, type MeasuredRun } from './proc.ts';
import { startCountedS3Server, type CountedS3Server } from './s3-counter.ts';
import { AGENT_PREFIX, BENCH_BUCKET, buildBacklog, createBenchSite, writeBacklog, type BacklogFile } from './site.ts';

export type DrainTool = 'rclone' | 'aws' | 'agent';
export const DRAIN_TOOLS: DrainTool[] = ['rclone', 'aws', 'agent'];

export interface DrainRun {
  tool: DrainTool;
  round: number;
  wallMs: number;
  recordsPerSecond: number;
  requests: number;
  requestsByMethod: Record<string, number>;
  objects: number;
  records: number;
  duplicates: number;
  /** Undefined when the run delivered every record once; else what went wrong. */
  failure?: string;
}

export interface DrainFigures {
  files: number;
  rounds: number;
  runs: DrainRun[];
  versions: Record<DrainTool, string>;
  /** Tools that could not run at all (not installed), with the reason. */
  skipped: Partial<Record<DrainTool, string>>;
}

const AWS_CLI = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';

export async function benchDrain(options: { files: number; rounds: number }, log: (line: string) => void): Promise<DrainFigures> {
  const backlog = buildBacklog(options.files);
  const versions: Record<DrainTool, string> = {
    rclone: versionOf(RCLONE, ['version']),
    aws: versionOf(AWS_CLI, ['--version']),
    agent: `datapipe-agent from source on Node ${process.version}`,
  };
  const skipped: Partial<Record<DrainTool, string>> = {};
  if (!existsSync(RCLONE)) skipped.rclone = `${RCLONE} not installed (apt-get install rclone)`;
  if (!existsSync(AWS_CLI)) skipped.aws = `${AWS_CLI} not installed (apt-get install awscli)`;
  const runs: DrainRun[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const tool of DRAIN_TOOLS) {
      if (skipped[tool]) continue;
      const run = await runOneDrain(tool, round, backlog);
      runs.push(run);
      log(`drain ${tool} round ${round}: ${(run.wallMs / 1000).toFixed(2)} s, ${Math.round(run.recordsPerSecond)} records/s, ` +
        `${run.requests} requests, ${run.records}/${backlog.length} records${run.failure ? `, FAILED: ${run.failure}` : ''}`);
    }
  }
  return { files: options.files, rounds: options.rounds, runs, versions, skipped };
}

async function runOneDrain(tool: DrainTool, round: number, backlog: BacklogFile[]): Promise<DrainRun> {
  const dir = await mkdtemp(join(tmpdir(), `bench-drain-${tool}-`));
  const s3 = await startCountedS3Server(BENCH_BUCKET);
  try {
    const prefix = tool === 'agent' ? AGENT_PREFIX : `${tool}/`;
    const command = await prepareClient(tool, dir, s3, backlog, prefix);
    s3.reset();
    const result = await runMeasured(command.file, command.args, { env: command.env });
    const requests = s3.total();
    const requestsByMethod = s3.counts();
    const contents = await readBucket(s3.server, BENCH_BUCKET, prefix);
    const failure = describeFailure(result, contents, backlog.length);
    return {
      tool,
      round,
      wallMs: result.wallMs,
      recordsPerSecond: contents.records / (result.wallMs / 1000),
      requests,
      requestsByMethod,
      ...contents,
      ...(failure ? { failure } : {}),
    };
  } finally {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function describeFailure(result: MeasuredRun, contents: { records: number; duplicates: number }, expected: number): string | undefined {
  if (result.code !== 0) return `exit ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  if (contents.records !== expected) return `${contents.records} of ${expected} records in the bucket`;
  if (contents.duplicates > 0) return `${contents.duplicates} duplicate records`;
  return undefined;
}

interface ClientCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Writes the backlog where the tool reads it and returns how to start the tool. */
async function prepareClient(tool: DrainTool, dir: string, s3: CountedS3Server, backlog: BacklogFile[], prefix: string): Promise<ClientCommand> {
  const { endpoint, credentials, region } = s3.server;
  // No proxies, CA bundles or profiles from this machine: every client talks straight to 127.0.0.1.
  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' };
  if (tool === 'agent') {
    const site = await createBenchSite(join(dir, 'site'), { s3: s3.server, openMeteoUrl: 'http://127.0.0.1:9/v1/forecast', locations: 1 });
    await writeBacklog(site.dumpDir, backlog);
    return { file: process.execPath, args: [AGENT_BIN, 'drain', '-c', site.configFile], env: baseEnv };
  }
  const source = join(dir, 'source');
  await writeBacklog(source, backlog);
  if (tool === 'aws') {
    return {
      file: AWS_CLI,
      args: ['s3', 'cp', source, `s3://${BENCH_BUCKET}/${prefix}`, '--recursive', '--endpoint-url', endpoint, '--only-show-errors', '--no-progress'],
      env: {
        ...baseEnv,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_DEFAULT_REGION: region,
        AWS_CONFIG_FILE: join(dir, 'aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    };
  }
  const rcloneConfig = join(dir, 'rclone.conf');
  await writeFile(rcloneConfig, '');
  return {
    file: RCLONE,
    args: ['copy', source, `bench:${BENCH_BUCKET}/${prefix}`, '--transfers', '32', '--config', rcloneConfig],
    env: {
      ...baseEnv,
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: credentials.accessKeyId,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      RCLONE_CONFIG_BENCH_REGION: region,
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    },
  };
}
