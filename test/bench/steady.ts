// Section 2: the steady state. One `once` cycle of the real agent (a child process, from source)
// for 10, 100 and 1,000 locations against the Open-Meteo stand-in and the local S3 server:
// requests per cycle on both sides (counted at the servers), the cycle's own duration (from the
// agent's status.json: fetch, build, write + fsync, upload), the process's wall time (start-up
// included) and its peak RSS (GNU time's maxrss).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BIN } from '../helpers/agent-site.ts';
import { startOpenMeteoStub, type OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { readBucket } from './bucket.ts';
import { runMeasured } from './proc.ts';
import { startCountedS3Server } from './s3-counter.ts';
import { AGENT_PREFIX, BENCH_BUCKET, createBenchSite } from './site.ts';

export interface SteadyRun {
  locations: number;
  round: number;
  s3Requests: number;
  s3RequestsByMethod: Record<string, number>;
  openMeteoRequests: number;
  cycleMs: number;
  processMs: number;
  peakRssMb: number;
  records: number;
  failure?: string;
}

export interface SteadyFigures {
  locationCounts: number[];
  rounds: number;
  runs: SteadyRun[];
}

export async function benchSteady(options: { locationCounts: number[]; rounds: number }, log: (line: string) => void): Promise<SteadyFigures> {
  const stub = await startOpenMeteoStub();
  const runs: SteadyRun[] = [];
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const locations of options.locationCounts) {
        const run = await runOneCycle(stub, locations, round);
        runs.push(run);
        log(`steady ${locations} locations round ${round}: cycle ${Math.round(run.cycleMs)} ms, process ${Math.round(run.processMs)} ms, ` +
          `peak RSS ${run.peakRssMb.toFixed(0)} MB, S3 ${run.s3Requests}, Open-Meteo ${run.openMeteoRequests}${run.failure ? `, FAILED: ${run.failure}` : ''}`);
      }
    }
  } finally {
    await stub.close();
  }
  return { locationCounts: options.locationCounts, rounds: options.rounds, runs };
}

async function runOneCycle(stub: OpenMeteoStub, locations: number, round: number): Promise<SteadyRun> {
  const dir = await mkdtemp(join(tmpdir(), `bench-steady-${locations}-`));
  const s3 = await startCountedS3Server(BENCH_BUCKET);
  try {
    const site = await createBenchSite(join(dir, 'site'), { s3: s3.server, openMeteoUrl: stub.url, locations });
    const openMeteoBefore = stub.requests.length;
    s3.reset();
    const result = await runMeasured(process.execPath, [AGENT_BIN, 'once', '-c', site.configFile], { env: { PATH: process.env.PATH, HOME: dir } });
    const contents = await readBucket(s3.server, BENCH_BUCKET, AGENT_PREFIX);
    const expectedRecords = locations + 1; // one observation per location and the agent_status record
    const failure = result.code !== 0
      ? `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`
      : contents.records !== expectedRecords ? `${contents.records} of ${expectedRecords} records in the bucket` : undefined;
    return {
      locations,
      round,
      s3Requests: s3.total(),
      s3RequestsByMethod: s3.counts(),
      openMeteoRequests: stub.requests.length - openMeteoBefore,
      cycleMs: await readCycleMs(site.storageDir),
      processMs: result.wallMs,
      peakRssMb: (result.peakRssKb ?? Number.NaN) / 1024,
      records: contents.records,
      ...(failure ? { failure } : {}),
    };
  } finally {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last cycle's duration as the agent recorded it (start of the cycle to its upload confirmed). */
async function readCycleMs(storageDir: string): Promise<number> {
  try {
    const state = JSON.parse(await readFile(join(storageDir, 'state', 'status.json'), 'utf8')) as { lastCycle?: { startedAt: string; finishedAt: string } };
    if (!state.lastCycle) return Number.NaN;
    return new Date(state.lastCycle.finishedAt).getTime() - new Date(state.lastCycle.startedAt).getTime();
  } catch {
    return Number.NaN;
  }
}
