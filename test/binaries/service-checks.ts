// The Windows service under wine's service manager, driven through the agent's own commands:
// install (--no-start) -> start -> status says running -> the running service delivers a cycle
// to the local S3 server -> stop -> status says not running -> uninstall --purge -> not installed.
// The service code requires the config in C:\ProgramData\Datapipe\Agent (its ACL protects the
// credentials), so the site is written into the wine prefix's drive_c.
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';
import { BUCKET, createSite, readLogs, recordsInBucket, waitFor } from '../helpers/agent-site.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import { describeRun, type BinaryRunner, type RunResult } from './binary-runner.ts';
import { check, skip } from './report.ts';
import { forgetWineService } from './wine.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const WINE_PREFIX_IN_CHROOT = '/root/.wine-datapipe';
const DATA_ROOT_WINDOWS = 'C:\\ProgramData\\Datapipe\\Agent';

interface Step {
  name: string;
  body: () => Promise<string>;
}

export async function runServiceChecks(runner: BinaryRunner, wineRoot: string): Promise<void> {
  const dataRoot = join(wineRoot, WINE_PREFIX_IN_CHROOT, 'drive_c', 'ProgramData', 'Datapipe', 'Agent');
  const s3 = await startS3Server({ buckets: [BUCKET] });
  const openMeteo = await startOpenMeteoStub();
  try {
    await runner.run(['service', 'uninstall', '--purge']); // leftovers of an interrupted run
    await forgetWineService(REPO_ROOT, 'DatapipeAgent');
    await rm(dataRoot, { recursive: true, force: true });
    await mkdir(dataRoot, { recursive: true });
    const site = await createSite({ dir: dataRoot, s3, openMeteo, schedule: '*/5 * * * * *', retrySchedule: '*/5 * * * * *' });
    await runSteps(serviceSteps(runner, async () => (await recordsInBucket(s3)).length, () => readLogs(site)));
  } finally {
    await runner.run(['service', 'uninstall', '--purge']).catch(() => undefined);
    await forgetWineService(REPO_ROOT, 'DatapipeAgent').catch(() => undefined);
    await rm(dataRoot, { recursive: true, force: true });
    await Promise.all([s3.close(), openMeteo.close()]);
  }
}

function serviceSteps(runner: BinaryRunner, recordCount: () => Promise<number>, readLogText: () => Promise<string>): Step[] {
  const config = `${DATA_ROOT_WINDOWS}\\config.ini`;
  const expectExit = (result: RunResult, code: number, pattern?: RegExp): string => {
    if (result.code !== code || (pattern && !pattern.test(result.stdout))) throw new Error(`expected exit ${code}${pattern ? ` and ${pattern}` : ''}: ${describeRun(result)}`);
    return result.stdout.trim().split('\n').at(-1) ?? '';
  };
  return [
    // LocalSystem here, not the default LocalService: wine's LSA has no NT AUTHORITY\LocalService
    // logon, and NSSM crashes (0xC0000005) setting it. Real Windows takes the default.
    { name: 'install --no-start (LocalSystem)', body: async () => expectExit(await runner.run(['service', 'install', '-c', config, '--no-start', '--account', 'LocalSystem']), 0) },
    { name: 'start', body: async () => expectExit(await runner.run(['service', 'start']), 0) },
    { name: 'status says running', body: async () => expectExit(await runner.run(['service', 'status']), 0, /: running\./) },
    {
      name: 'service delivers to S3',
      body: async () => {
        await waitFor(async () => (await recordCount()) > 0, 120_000, 'records from the running service');
        return `${await recordCount()} record(s) in the bucket`;
      },
    },
    {
      // Graceful: NSSM's Ctrl+C reaches the agent, which logs its own clean stop.
      name: 'stop (graceful)',
      body: async () => {
        const line = expectExit(await runner.run(['service', 'stop']), 0);
        const logs = await readLogText();
        if (![LogEvents.agentStopped, LogEvents.agentStoppedAbandoned].some((event) => logLine('agent', event).test(logs))) throw new Error(`the agent did not log a clean stop; log tail: ${logs.slice(-400)}`);
        return `${line}; the agent logged 'Agent stopped.'`;
      },
    },
    { name: 'status says stopped', body: async () => expectExit(await runner.run(['service', 'status']), 1, /installed, not running/) },
    {
      // Not followed by "status says not installed": wine keeps a deleted service's registry key
      // (marked for delete) across wineserver restarts, so its status cannot prove the removal;
      // NSSM's own confirmation that it removed the service is checked instead.
      name: 'uninstall --purge',
      body: async () => {
        const result = await runner.run(['service', 'uninstall', '--purge']);
        expectExit(result, 0, /ok {4}service DatapipeAgent removed/);
        return 'service removed; C:\\ProgramData\\Datapipe\\Agent purged';
      },
    },
  ];
}

/** Runs the steps in order; after the first failure the rest are skipped (they depend on it). */
async function runSteps(steps: Step[]): Promise<void> {
  let failed: string | undefined;
  for (const step of steps) {
    const name = `windows service: ${step.name}`;
    if (failed) skip(name, `after '${failed}' failed`);
    else if (!(await check(name, step.body))) failed = step.name;
  }
}
