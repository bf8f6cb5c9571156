// The fault catalogue and the injector that plays it: one fault at a time, chosen at random (by
// weight) on the campaign's seed, each held for a random while, with short calm gaps between.
//
// Kills are aimed, not only random: a kill is "armed" on an event of the local peers and fired a
// few milliseconds after it, so it lands in the window that matters:
//   kill-upload        a PutObject arrived (the upload is slowed first, so it is in flight);
//   kill-after-ack     S3 finished answering 200 (confirmed, the local file not yet deleted);
//   kill-after-receive the stand-in finished a 200 (the agent is parsing, writing, fsyncing,
//                      renaming the cycle file);
//   kill-drain         after an outage long enough for a backlog (packs), during the drain's
//                      PUTs, pack PUTs preferred, before or after S3's answer;
//   kill-random        anywhere.
import type { OpenMeteoStub, ServedObservation } from '../helpers/open-meteo-stub.ts';
import type { S3ServerEvent, TestS3Server } from '../helpers/s3-server.ts';
import type { AgentSupervisor } from './agent-process.ts';
import type { Random } from './random.ts';
import type { Site } from './site.ts';
import type { SourceClock } from './source-clock.ts';

export type FaultKind =
  | 's3-down' | 's3-outage' | 's3-reset' | 's3-hang' | 's3-slow' | 's3-500' | 's3-503-slowdown' | 's3-403'
  | 'om-5xx' | 'om-429' | 'om-timeout' | 'om-truncated'
  | 'kill-random' | 'kill-upload' | 'kill-after-ack' | 'kill-after-receive' | 'kill-drain'
  | 'restart' | 'clock-jump-agent' | 'clock-jump-source' | 'disk-full';

const WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['s3-down', 5], ['s3-outage', 3], ['s3-reset', 4], ['s3-hang', 2], ['s3-slow', 3], ['s3-500', 4], ['s3-503-slowdown', 4], ['s3-403', 3],
  ['om-5xx', 4], ['om-429', 3], ['om-timeout', 2], ['om-truncated', 4],
  ['kill-random', 4], ['kill-upload', 4], ['kill-after-ack', 5], ['kill-after-receive', 5], ['kill-drain', 4],
  ['restart', 2], ['clock-jump-agent', 2], ['clock-jump-source', 2], ['disk-full', 3],
];

export interface CampaignLog {
  injected: Map<FaultKind, number>;
  /** Kinds that could not be injected on this machine, with the reason. */
  unavailable: Map<FaultKind, string>;
  /** Aimed kills whose trigger never came (the kill was not done). */
  missedKills: number;
  /** [start, end] of each full-disk period (ms since epoch). */
  diskFull: [number, number][];
  /** When each 403 answer was sent. */
  accessDenied: number[];
  /** Real time of each stand-in request arrival. */
  sourceRequests: number[];
  /** Each complete 200 of the stand-in: when, and what it held. */
  served: { at: number; observations: ServedObservation[] }[];
  /** PutObjects that arrived with a pack key. */
  packPuts: number;
  /** One line per fault played, for replaying a failure by hand. */
  timeline: string[];
}

export interface Peers {
  s3: TestS3Server;
  stub: OpenMeteoStub;
  agent: AgentSupervisor;
  site: Site;
  clock: SourceClock;
  random: Random;
  log: CampaignLog;
}

export function createCampaignLog(): CampaignLog {
  return { injected: new Map(), unavailable: new Map(), missedKills: 0, diskFull: [], accessDenied: [], sourceRequests: [], served: [], packPuts: 0, timeline: [] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Plays faults until `deadline` (ms since epoch). */
export async function injectFaults(peers: Peers, deadline: number): Promise<void> {
  const { random, log } = peers;
  while (Date.now() < deadline) {
    const kind = random.weighted(WEIGHTS);
    if (log.unavailable.has(kind)) continue;
    const started = new Date().toISOString();
    const done = await playFault(kind, peers);
    log.timeline.push(`${started} ${kind}${done ? '' : ' (not done)'} until ${new Date().toISOString()}`);
    if (done) log.injected.set(kind, (log.injected.get(kind) ?? 0) + 1);
    await sleep(random.int(300, 2500));
  }
}

async function playFault(kind: FaultKind, peers: Peers): Promise<boolean> {
  const { s3, stub, random } = peers;
  switch (kind) {
    case 's3-down':
      return holdS3Down(peers, random.int(2000, 8000));
    case 's3-outage':
      return holdS3Down(peers, random.int(12_000, 30_000));
    case 's3-reset':
      s3.injectFaults(...Array.from({ length: random.int(1, 3) }, () => ({ kind: 'reset' as const })));
      return true;
    case 's3-hang':
      s3.injectFaults({ kind: 'hang' });
      await sleep(random.int(3000, 10_000));
      s3.dropHanging(); // what a proxy or load balancer does to an idle request
      return true;
    case 's3-slow':
      s3.injectFaults(...Array.from({ length: random.int(1, 4) }, () => ({ kind: 'slow' as const, delayMs: random.int(500, 4000) })));
      return true;
    case 's3-500':
      s3.injectFaults({ kind: 'status', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' });
      return true;
    case 's3-503-slowdown':
      s3.injectFaults(...Array.from({ length: random.int(1, 3) }, () => ({ kind: 'status' as const, status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' })));
      return true;
    case 's3-403':
      // One at a time: 403s queued while the agent makes no requests would all land in one drain
      // pass, which rightly logs one line for the pass, not one per file.
      if (s3.pendingFaults.some((fault) => fault.kind === 'status' && fault.status === 403)) return false;
      s3.injectFaults({ kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' });
      return true;
    case 'om-5xx': {
      const status = random.weighted([[500, 2], [502, 1], [503, 2]] as const);
      // Retry-After keeps the campaign moving; without it the agent rightly waits a minute.
      stub.enqueue({ kind: 'status', status, ...(status === 503 ? { retryAfter: random.int(1, 3) } : {}) });
      return true;
    }
    case 'om-429':
      stub.enqueue({ kind: 'status', status: 429, retryAfter: random.int(1, 3) });
      return true;
    case 'om-timeout':
      stub.enqueue({ kind: 'hang' });
      return true;
    case 'om-truncated':
      stub.enqueue({ kind: 'truncated' });
      return true;
    case 'kill-random':
      return peers.agent.kill9();
    case 'kill-upload':
      s3.injectFaults({ kind: 'slow', delayMs: random.int(800, 2500) });
      return killOn(peers, (e) => e.type === 'put-received', random.int(0, 400));
    case 'kill-after-ack':
      return killOn(peers, (e) => e.type === 'put-answered' && e.status === 200, random.int(0, 3));
    case 'kill-after-receive':
      return killOnServed(peers, random.int(0, 15));
    case 'kill-drain':
      return killDuringDrain(peers);
    case 'restart':
      await peers.agent.restartGracefully();
      return true;
    case 'clock-jump-agent':
      return jumpAgentClock(peers);
    case 'clock-jump-source': {
      const slots = random.weighted([[-4, 1], [-2, 1], [3, 1], [12, 1]] as const);
      peers.clock.jumpSlots(slots);
      return true;
    }
    case 'disk-full':
      return holdDiskFull(peers, random.int(2000, 7000));
  }
}

async function holdS3Down(peers: Peers, ms: number): Promise<boolean> {
  await peers.s3.setDown(true);
  await sleep(ms);
  await peers.s3.setDown(false);
  return true;
}

/** Arms a kill on the next S3 event matching `match`; false if none came within the wait. */
function killOn(peers: Peers, match: (event: S3ServerEvent) => boolean, delayMs: number, waitMs = 15_000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), waitMs);
    const unsubscribe = peers.s3.onEvent((event) => {
      if (!match(event)) return;
      unsubscribe();
      clearTimeout(timer);
      setTimeout(() => finish(peers.agent.kill9()), delayMs);
    });
    function finish(killed: boolean): void {
      unsubscribe();
      clearTimeout(timer);
      if (!killed) peers.log.missedKills += 1;
      resolve(killed);
    }
  });
}

function killOnServed(peers: Peers, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const before = peers.log.served.length;
    const started = Date.now();
    const poll = setInterval(() => {
      if (peers.log.served.length > before) {
        clearInterval(poll);
        // The poll adds up to 1 ms; the served hook itself fires as the answer is written.
        setTimeout(() => resolve(peers.agent.kill9()), delayMs);
      } else if (Date.now() - started > 15_000) {
        clearInterval(poll);
        peers.log.missedKills += 1;
        resolve(false);
      }
    }, 1);
  });
}

async function killDuringDrain(peers: Peers): Promise<boolean> {
  const { random } = peers;
  // Long enough for a backlog of a dozen or more cycle files: the drain then packs them.
  await peers.s3.setDown(true);
  await sleep(random.int(10_000, 20_000));
  const afterAnswer = random.chance(0.5);
  // Pack PUTs once the agent is seen making them; any drain PUT before that (or without packs).
  const wantPack = peers.log.packPuts > 0;
  const isPack = (event: S3ServerEvent) => !wantPack || ('key' in event && event.key.includes('_pack-'));
  const kill = killOn(peers, (event) => isPack(event) && event.type === (afterAnswer ? 'put-answered' : 'put-received'), random.int(0, afterAnswer ? 3 : 30), 12_000);
  await peers.s3.setDown(false);
  return kill;
}

const AGENT_CLOCK_OFFSETS = [-7200, -1200, 0, 0, 900, 3600, 90_000] as const;

async function jumpAgentClock(peers: Peers): Promise<boolean> {
  if (!peers.site.clockEnv) return false;
  const offset = AGENT_CLOCK_OFFSETS[peers.random.int(0, AGENT_CLOCK_OFFSETS.length - 1)] ?? 0;
  await peers.site.setClockOffset(offset);
  return true;
}

async function holdDiskFull(peers: Peers, ms: number): Promise<boolean> {
  if (peers.site.tmpfsUnavailable) return false;
  const start = Date.now();
  await peers.site.fillDisk();
  await sleep(ms);
  await peers.site.freeDisk();
  peers.log.diskFull.push([start, Date.now()]);
  return true;
}
