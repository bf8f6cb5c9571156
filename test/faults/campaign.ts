// The fault and crash campaign (`npm run faults`): runs the real agent (`run`, as a child process,
// from source or the built binary) for minutes against the local S3-protocol server and the
// Open-Meteo stand-in (behind a proxy that can poison its answers) while faults.ts injects S3 and
// Open-Meteo failures and lies, kill -9 at aimed moments (peer events and the boundaries between
// the agent's durable steps), restarts, clock jumps, a full data disk, a full log disk and special
// files in dump/, at random on a printed seed. Then it lets the
// agent calm down, stops it, runs `drain` until the dump is empty, and checks from outside
// (invariants.ts): nothing served is lost, nothing is duplicated or corrupt, the spool is empty,
// one error line per injected 403, no secret anywhere. Prints the figures; exits 1 only if an
// invariant broke (2 for a bad command line).
//
//   npm run faults                       ~3 min of faults (CI)
//   npm run faults -- --seed 12345       replay
//   npm run faults -- --long             25 min soak
//   npm run faults -- --binary           the same against dist/datapipe-agent-linux-x64
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogEvents } from '../../agent/log/events.ts';
import { logLine } from '../helpers/log-lines.ts';
import { startOpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import { agentCommand, runAgentOnce, superviseAgent, type AgentSupervisor } from './agent-process.ts';
import { createCampaignLog, injectFaults, type CampaignLog, type Peers } from './faults.ts';
import { startPoisoningProxy, type PoisonedAnswer } from './poisoning-proxy.ts';
import { checkInvariants } from './invariants.ts';
import { parseCampaignArgs, USAGE, type CampaignOptions } from './options.ts';
import { createRandom } from './random.ts';
import { formatFigures } from './report.ts';
import { BUCKET, CAMPAIGN_CREDENTIALS, createSite, type Site } from './site.ts';
import { createSourceClock, SOURCE_CLOCK_SPEED } from './source-clock.ts';
import { watchSpool } from './spool-watch.ts';

/** Fault-free time at the end, so queued faults are used up and the last cycles finish. */
const CALM_MS = 12_000;
const FINAL_DRAIN_ATTEMPTS = 5;

async function main(): Promise<number> {
  let options: CampaignOptions;
  try {
    options = parseCampaignArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`faults: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const command = `npm run faults -- --seed ${options.seed} --minutes ${options.minutes}${options.binary ? ` --binary ${options.binary}` : ''}`;
  console.log(`faults: seed ${options.seed} (replay: ${command})`);
  const startedAt = Date.now();
  const log = createCampaignLog();
  // Behind real time by the whole run at full speed plus a day (agent clock set back 2 h, source
  // jumps forward), so no served time is ever ahead of the agent's clock.
  const clock = createSourceClock(Date.now(), (options.minutes * 60_000 * SOURCE_CLOCK_SPEED) + 86_400_000);
  const s3 = await startS3Server({ buckets: [BUCKET], credentials: CAMPAIGN_CREDENTIALS });
  const stub = await startOpenMeteoStub({
    now: clock.now,
    onServed: (observations) => void log.served.push({ at: Date.now(), observations }),
    onRequest: () => void log.sourceRequests.push(Date.now()),
  });
  s3.onEvent((event) => {
    if (event.type === 'put-answered' && event.status === 403) log.accessDenied.push(Date.now());
    if (event.type === 'put-received' && event.key.includes('_pack-')) log.packPuts += 1;
  });
  const proxy = await startPoisoningProxy(stub.url, (answer) => notePoisoned(log, answer));
  const site = await createSite({ s3: s3.endpoint, region: s3.region, openMeteo: proxy.url });
  const spool = watchSpool(site.storageDir);
  const notes = describeMachine(site, log);
  const random = createRandom(options.seed);
  const agent = superviseAgent(agentCommand(options.binary, site.clockEnv), site.configFile, site.dir, random);
  try {
    console.log(`faults: agent running on ${site.dir}; injecting faults for ${options.minutes} min`);
    await injectFaults({ s3, stub, proxy, spool, agent, site, clock, random, log } satisfies Peers, startedAt + options.minutes * 60_000);
    proxy.clear();
    await calmDown(site, s3);
    const ending = await finish(agent, options, site);
    notes.push(...ending.notes);
    const verdict = await checkInvariants({ objects: await s3.listObjects(BUCKET), log, kills: agent.kills, site, secret: CAMPAIGN_CREDENTIALS.secretAccessKey });
    if (agent.unexpectedExits.length > 0) {
      verdict.broken.push(`the agent exited ${agent.unexpectedExits.length} time(s) without being told to (see agent-output.txt with --keep)`);
    }
    if (agent.memoryKills > 0) verdict.broken.push(`the agent's memory passed the watchdog's limit ${agent.memoryKills} time(s) (peak ${agent.peakRssMb.toFixed(0)} MB) and was killed`);
    verdict.broken.push(...ending.broken);
    if (agent.stopHangs > 0) verdict.broken.push(`the agent did not stop on SIGTERM within 30 s ${agent.stopHangs} time(s) (a hang) and was killed`);
    const figures = formatFigures({
      command,
      seed: options.seed,
      minutes: options.minutes,
      durationSeconds: (Date.now() - startedAt) / 1000,
      cycles: await countCycles(site),
      sourceRequests: log.sourceRequests.length,
      s3Puts: s3.putRequests,
      log,
      agent,
      verdict,
      notes,
    });
    console.log(figures);
    await writeFile(join(site.dir, 'figures.txt'), figures + '\n');
    await writeFile(join(site.dir, 'timeline.txt'), log.timeline.join('\n') + '\n');
    if (options.keep) console.log(`faults: site kept at ${site.dir}`);
    return verdict.broken.length === 0 ? 0 : 1;
  } finally {
    await agent.stop();
    spool.close();
    await proxy.close();
    await stub.close();
    await s3.close();
    await site.dispose(options.keep);
  }
}

function describeMachine(site: Site, log: CampaignLog): string[] {
  const notes: string[] = [];
  if (site.tmpfsUnavailable) {
    log.unavailable.set('disk-full', site.tmpfsUnavailable);
    notes.push(`disk-full not injected: ${site.tmpfsUnavailable}`);
  }
  if (site.logTmpfsUnavailable) {
    log.unavailable.set('log-disk-full', site.logTmpfsUnavailable);
    notes.push(`log-disk-full not injected: ${site.logTmpfsUnavailable}`);
  }
  if (!site.clockEnv) {
    log.unavailable.set('clock-jump-agent', 'libfaketime not installed');
    notes.push("agent clock jumps not injected: libfaketime not installed (apt-get install faketime); the stand-in's clock still jumps");
  }
  return notes;
}

/** A poisoned observation was never a real one: it is taken out of what counts as served. */
function notePoisoned(log: CampaignLog, answer: PoisonedAnswer): void {
  log.poisoned.push({ at: Date.now(), poison: answer.poison });
  // The stand-in logs a complete answer as it finishes sending it, just before the proxy has it.
  const last = log.served.filter((entry) => Date.now() - entry.at < 2000).at(-1);
  const index = last?.observations.findIndex((o) => o.latitude === answer.latitude && o.longitude === answer.longitude) ?? -1;
  if (last && index >= 0) last.observations.splice(index, 1);
}

async function calmDown(site: Site, s3: Awaited<ReturnType<typeof startS3Server>>): Promise<void> {
  s3.clearFaults();
  await s3.setDown(false);
  s3.dropHanging();
  await site.freeDisk();
  await site.freeLogDisk();
  await new Promise((resolve) => setTimeout(resolve, CALM_MS));
}

/** Stops the agent (SIGTERM must give exit 0) and drains until the dump is empty. A drain the
 *  campaign had to kill (hung, or its memory ran away) is a broken invariant, not a note. */
async function finish(agent: AgentSupervisor, options: CampaignOptions, site: Site): Promise<{ notes: string[]; broken: string[] }> {
  const notes: string[] = [];
  const broken: string[] = [];
  await agent.stop();
  const command = agentCommand(options.binary, site.clockEnv);
  for (let attempt = 1; attempt <= FINAL_DRAIN_ATTEMPTS; attempt += 1) {
    const drain = await runAgentOnce(command, ['drain', '-c', site.configFile], site.dir);
    if (drain.killedFor) {
      broken.push(`the final drain run ${attempt} was killed: ${drain.killedFor === 'memory' ? 'its memory passed the watchdog limit' : 'it did not finish in time (a hang)'}`);
      return { notes, broken };
    }
    // Exit 1 with an empty dump means "delivered, but the quarantine is not empty": the planted
    // files belong there (the checker verifies that nothing else does).
    const onlyQuarantine = drain.code === 1 && drain.output.includes('The dump is empty') && drain.output.includes('quarantine folder');
    if (drain.code === 0 || onlyQuarantine) {
      if (attempt > 1) notes.push(`the final drain needed ${attempt} runs`);
      return { notes, broken };
    }
    notes.push(`final drain run ${attempt} exited ${drain.code}: ${drain.output.trim().split('\n').pop() ?? ''}`);
  }
  return { notes, broken };
}

async function countCycles(site: Site): Promise<number> {
  let count = 0;
  for (const name of await readdir(site.logDir)) {
    const text = await readFile(join(site.logDir, name), 'utf8');
    count += text.split('\n').filter((line) => logLine('collect', LogEvents.cycleFinished).test(line)).length;
  }
  return count;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`faults: the campaign itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
});
