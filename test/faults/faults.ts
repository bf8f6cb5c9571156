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
// and aimed at the boundaries between the agent's own durable steps, seen on its storage folder
// (spool-watch.ts):
//   kill-after-temp-rename   the cycle file is durable in temp/, the state not yet updated;
//   kill-after-state-write   status.json was just renamed into place;
//   kill-after-manifest      a pack manifest is durable, its PUT not yet made;
//   kill-pack-mid-deletes    S3 confirmed a pack and the agent is deleting its sources (between
//                            the PUT and the deletes, and between the deletes and the manifest's
//                            removal, depending on where the few milliseconds land).
// Besides the peers failing, the peers lie (S3 answering 200 without storing, or storing and
// then resetting the connection before 503s; the source: poisoning-proxy.ts), the
// source holds one value for many polls (real-speed clock), the log disk fills up on its own, and
// files that are not what their names say appear in dump/ (planted-files.ts).
import type { OpenMeteoStub, ServedObservation } from '../helpers/open-meteo-stub.ts';
import type { S3ServerEvent, TestS3Server } from '../helpers/s3-server.ts';
import type { AgentSupervisor } from './agent-process.ts';
import { plantSpecialFiles, type Planting } from './planted-files.ts';
import type { Poison, PoisoningProxy } from './poisoning-proxy.ts';
import type { Random } from './random.ts';
import type { Site } from './site.ts';
import type { SourceClock } from './source-clock.ts';
import type { SpoolEvent, SpoolWatch } from './spool-watch.ts';

export type FaultKind =
  | 's3-down' | 's3-outage' | 's3-reset' | 's3-hang' | 's3-slow' | 's3-500' | 's3-503-slowdown' | 's3-403'
  | 's3-ok-without-storing' | 's3-store-then-reset'
  | 'om-5xx' | 'om-429' | 'om-timeout' | 'om-truncated'
  | 'om-future-time' | 'om-huge-offset' | 'om-impossible-time' | 'om-deep-nesting' | 'om-unchanged-slot'
  | 'kill-random' | 'kill-upload' | 'kill-after-ack' | 'kill-after-receive' | 'kill-drain'
  | 'kill-after-temp-rename' | 'kill-after-state-write' | 'kill-after-manifest' | 'kill-pack-mid-deletes'
  | 'restart' | 'clock-jump-agent' | 'clock-jump-source' | 'disk-full' | 'log-disk-full' | 'special-files';

const WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['s3-down', 5], ['s3-outage', 3], ['s3-reset', 4], ['s3-hang', 2], ['s3-slow', 3], ['s3-500', 4], ['s3-503-slowdown', 4], ['s3-403', 3],
  ['s3-ok-without-storing', 3], ['s3-store-then-reset', 3],
  ['om-5xx', 4], ['om-429', 3], ['om-timeout', 2], ['om-truncated', 4],
  ['om-future-time', 2], ['om-huge-offset', 1], ['om-impossible-time', 1], ['om-deep-nesting', 1], ['om-unchanged-slot', 1],
  ['kill-random', 4], ['kill-upload', 4], ['kill-after-ack', 5], ['kill-after-receive', 5], ['kill-drain', 4],
  ['kill-after-temp-rename', 4], ['kill-after-state-write', 3], ['kill-after-manifest', 2], ['kill-pack-mid-deletes', 3],
  ['restart', 2], ['clock-jump-agent', 2], ['clock-jump-source', 2], ['disk-full', 3], ['log-disk-full', 2], ['special-files', 1],
];
/** Special files are planted this many times per campaign at most (each set must be set aside). */
const MAX_PLANTINGS = 2;

/** The poison each poisoning fault queues on the proxy. */
const POISONS: Partial<Record<FaultKind, Poison>> = {
  'om-future-time': 'future-time',
  'om-huge-offset': 'huge-offset',
  'om-impossible-time': 'impossible-time',
  'om-deep-nesting': 'deep-nesting',
};

export interface CampaignLog {
  injected: Map<FaultKind, number>;
  /** Kinds that could not be injected on this machine, with the reason. */
  unavailable: Map<FaultKind, string>;
  /** Aimed kills whose trigger never came (the kill was not done). */
  missedKills: number;
  /** [start, end] of each full-disk period (ms since epoch). */
  diskFull: [number, number][];
  /** [start, end] of each full-log-disk period. */
  logDiskFull: [number, number][];
  /** Each poisoned answer: when the proxy sent it, and the poison. */
  poisoned: { at: number; poison: Poison }[];
  /** Each set of special files planted in dump/. */
  plantings: Planting[];
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
  proxy: PoisoningProxy;
  spool: SpoolWatch;
  agent: AgentSupervisor;
  site: Site;
  clock: SourceClock;
  random: Random;
  log: CampaignLog;
}

export function createCampaignLog(): CampaignLog {
  return { injected: new Map(), unavailable: new Map(), missedKills: 0, diskFull: [], logDiskFull: [], poisoned: [], plantings: [], accessDenied: [], sourceRequests: [], served: [], packPuts: 0, timeline: [] };
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
    case 's3-ok-without-storing':
      // What a TLS-inspecting proxy or an odd S3-compatible store does: 200, and nothing stored.
      s3.injectFaults({ kind: 'ok-without-storing', body: random.chance(0.5) ? 'empty' : 'html' });
      return true;
    case 's3-store-then-reset':
      // Stored, the answer lost, and every retry refused: "may have been stored" must survive.
      s3.injectFaults({ kind: 'store-then-reset' }, ...Array.from({ length: random.int(1, 3) }, () => ({ kind: 'status' as const, status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' })));
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
    case 'om-future-time':
    case 'om-huge-offset':
    case 'om-impossible-time':
    case 'om-deep-nesting':
      peers.proxy.poisonNextAnswer(POISONS[kind]!);
      return true;
    case 'om-unchanged-slot': {
      // A real site polls the same 15-minute value many times; the agent must write it once and
      // then write the next slot's value (nothing may stay suppressed for longer than a slot).
      const ms = random.int(15_000, 40_000);
      peers.clock.holdRealSpeed(ms);
      await sleep(ms);
      return true;
    }
    case 'kill-after-temp-rename':
      return killOnSpool(peers, (e) => e.type === 'temp-renamed', random.int(0, 2));
    case 'kill-after-state-write':
      return killOnSpool(peers, (e) => e.type === 'state-written', random.int(0, 2));
    case 'kill-after-manifest':
      return killAfterOutage(peers, () => killOnSpool(peers, (e) => e.type === 'manifest-written', random.int(0, 2), 12_000));
    case 'kill-pack-mid-deletes':
      return killAfterOutage(peers, () => killOnPackDeletes(peers));
    case 'log-disk-full':
      return holdLogDiskFull(peers, random.int(3000, 10_000));
    case 'special-files':
      if (peers.log.plantings.length >= MAX_PLANTINGS) return false;
      peers.log.plantings.push(await plantSpecialFiles(peers.site.storageDir, peers.site.dir));
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
  return killOnEvent(peers, (listener) => peers.s3.onEvent(listener), match, delayMs, waitMs);
}

/** Arms a kill on the next storage-folder event matching `match` (see spool-watch.ts). */
function killOnSpool(peers: Peers, match: (event: SpoolEvent) => boolean, delayMs: number, waitMs = 15_000): Promise<boolean> {
  return killOnEvent(peers, (listener) => peers.spool.onEvent(listener), match, delayMs, waitMs);
}

/** Kills `delayMs` after the first event from `subscribe` that matches; false if none came. */
function killOnEvent<E>(peers: Peers, subscribe: (listener: (event: E) => void) => () => void, match: (event: E) => boolean, delayMs: number, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), waitMs);
    const unsubscribe = subscribe((event) => {
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

/** S3 down long enough for a backlog (so the drain packs it), then `arm` while S3 comes back. */
async function killAfterOutage(peers: Peers, arm: () => Promise<boolean>): Promise<boolean> {
  await peers.s3.setDown(true);
  await sleep(peers.random.int(10_000, 20_000));
  const kill = arm();
  await peers.s3.setDown(false);
  return kill;
}

/** After S3 confirmed a pack: kill on the first source delete, a few milliseconds in. */
function killOnPackDeletes(peers: Peers): Promise<boolean> {
  return new Promise((resolve) => {
    let confirmed = false;
    const timer = setTimeout(() => finish(false), 12_000);
    const stopS3 = peers.s3.onEvent((event) => {
      if (event.type === 'put-answered' && event.status === 200 && event.key.includes('_pack-')) confirmed = true;
    });
    const stopSpool = peers.spool.onEvent((event) => {
      if (!confirmed || event.type !== 'dump-deleted') return;
      stopSpool();
      setTimeout(() => finish(peers.agent.kill9()), peers.random.int(0, 8));
    });
    function finish(killed: boolean): void {
      stopS3();
      stopSpool();
      clearTimeout(timer);
      if (!killed) peers.log.missedKills += 1;
      resolve(killed);
    }
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

async function holdLogDiskFull(peers: Peers, ms: number): Promise<boolean> {
  if (peers.site.logTmpfsUnavailable) return false;
  const start = Date.now();
  await peers.site.fillLogDisk();
  await sleep(ms);
  await peers.site.freeLogDisk();
  peers.log.logDiskFull.push([start, Date.now()]);
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
