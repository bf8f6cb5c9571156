// "What limits each figure": the reading of the numbers that goes under each table. Kept apart
// from the table rendering so the reasoning is easy to review; the parts that depend on what
// was measured (did the agent pack records? how much does RSS grow with locations?) are computed.
import type { DrainFigures } from './drain.ts';
import type { FootprintFigures } from './footprint.ts';
import { formatNumber, summarise } from './stats.ts';
import type { SteadyFigures } from './steady.ts';

export function explainDrain(figures: DrainFigures): string {
  const agentRuns = figures.runs.filter((run) => run.tool === 'agent' && !run.failure);
  const agentRequestsPerRecord = summarise(agentRuns.map((run) => run.requests / run.records)).median;
  const packs = agentRequestsPerRecord < 0.5;
  const agentLimit = packs
    ? `The agent packs many records into one object (${formatNumber(1 / agentRequestsPerRecord)} records per request here), so S3 is no longer ` +
      'its limit: what is left is process start-up (Node plus the AWS SDK, about a second from source), reading and deleting ' +
      `${figures.files.toLocaleString('en-US')} small files with a directory fsync after each change, and the status.json updates.`
    : 'The agent sends one PutObject per file (8 in flight), like the other two, so it is bound by the same per-request cost: ' +
      'about 1.5 ms of CPU per PutObject in the AWS SDK for JavaScript in one Node process, plus reading and deleting each file. ' +
      'One object per record cannot beat rclone from Node; only fewer, larger objects (backlog compaction, issue 5) can.';
  return [
    '**How it is measured.** The S3 server is `test/helpers/s3-server.ts` (fauxqs with SigV4 checking) in the benchmark\'s own ' +
      'Node process, which is idle while a client runs; each run gets a fresh server and a freshly written copy of the same files. ' +
      'Requests are counted at the server (every HTTP request, whatever its outcome, from Node\'s `http.server.request.start` ' +
      'diagnostics channel), records by reading the bucket afterwards. Wall time runs from the client\'s process start to its exit, ' +
      'so start-up is included for all three. rclone is the reference because it is the fastest; ratios are taken within a round, ' +
      'so a busy moment on this shared 2-core machine slows the reference too.',
    '',
    '**What limits the figures.** Client and server share the same 2 cores. The server is one Node thread that checks a SigV4 ' +
      'signature and parses each request, so for clients that send one object per record it is the common ceiling. ' +
      'rclone (Go, 32 transfers) sends a HEAD after each PUT to check the upload, so it makes two requests per record. ' +
      '`aws s3 cp` is Python with 10 requests in flight by default and is bound by its own CPU per request. ' + agentLimit,
  ].join('\n');
}

export function explainSteady(figures: SteadyFigures): string {
  const rss = (locations: number) => summarise(figures.runs.filter((run) => run.locations === locations && !run.failure).map((run) => run.peakRssMb)).median;
  const smallest = Math.min(...figures.locationCounts);
  const largest = Math.max(...figures.locationCounts);
  const growth = rss(largest) - rss(smallest);
  return [
    '**What limits the figures.** Open-Meteo: one GET carries up to 1,000 coordinate pairs (the free API\'s limit per request), ' +
      'so requests per cycle are ceil(locations / 1,000). S3: a cycle is one NDJSON file and one PutObject. The cycle time is the ' +
      'agent\'s own record (status.json: from the cycle start to S3 confirming the file): the stand-in answers at once, so it is ' +
      'parsing the answer, building the records, writing and fsyncing the file and status.json, and one PUT; against the real API ' +
      'the network and Open-Meteo\'s own time come on top. The process wall time is mostly start-up (Node loading the agent from ' +
      'source with type stripping, the AWS SDK included), not the cycle.',
    '',
    `Peak RSS is dominated by the runtime and the loaded modules (Node, the AWS SDK, undici, winston, loaded as separate source ` +
      `files); going from ${smallest.toLocaleString('en-US')} to ${largest.toLocaleString('en-US')} locations adds ` +
      `${formatNumber(growth)} MB (the answer, the records and the file body, held once each).`,
  ].join('\n');
}

export function explainFootprint(figures: FootprintFigures): string {
  const lines = [
    '**What limits the figures.** Start-up: `/bin/true` is the cost of starting any process on this machine and `node -e 0` is the ' +
      'floor of the embedded runtime (V8 and Node\'s bootstrap); on top of that the agent evaluates its bundle. `--version` and ' +
      '`validate` evaluate only commander, ini, node-cron\'s validator and the config code: the commands that need the AWS SDK, ' +
      'undici or winston import them when they run, and the binary carries a V8 code cache, so the 6 MB bundle is not parsed at ' +
      'each start. Idle RSS is the runtime\'s pages of the binary (file-backed, shared with the page cache) plus V8\'s heap ' +
      'and the code of what `run` loaded (AWS SDK, undici, winston); idle CPU is timers only (the cron schedules and the retry ' +
      'pass on an empty dump every 5 minutes), read as the scheduler\'s run time of the agent\'s threads (nanoseconds; the 10 ms ' +
      'ticks of utime + stime are shown beside it for comparison with older figures).',
  ];
  if (figures.subject === 'source') {
    lines.push('', 'These are figures for the agent run from source (Node strips the TypeScript types of ~100 files at each start), ' +
      'which is slower to start and larger in memory than the bundled binary; they are here so that the section is not empty.');
  }
  return lines.join('\n');
}
