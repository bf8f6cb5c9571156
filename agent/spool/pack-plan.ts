// Turns one listing of dump/ into the units a drain pass sends, in the order it sends them:
//   1. every pack manifest a crash left behind ("resume": finish it before anything else, so its
//      sources can never end up in a second, different pack);
//   2. per customer and date partition (oldest first), packs of up to `maxRecords` records and
//      `maxBytes` bytes; a file that may already be in S3 under its own key (sent alone before),
//      is not clean NDJSON, or is too large on its own goes alone, as does a partition with fewer
//      than `minFiles` eligible files.
// It is a lazy generator: a pack's sources are read only when the pack is next, so memory holds a
// few packs, not the backlog. Concurrent `next()` calls are queued by the generator itself.
import type { PackManifest } from './pack-journal.ts';
import { countNdjsonRecords, identifyPack, type KeyOf, type PackLimits } from './pack.ts';
import type { SpooledFile } from './spool.ts';

export type DrainUnit =
  | { kind: 'single'; file: SpooledFile }
  | { kind: 'pack'; manifest: PackManifest; files: SpooledFile[]; ndjson: Buffer }
  | { kind: 'resume'; manifest: PackManifest; present: SpooledFile[]; confirmed: boolean };

export interface PlanInput {
  /** dump/, oldest cycle first (Spool.listDump). */
  files: SpooledFile[];
  manifests: PackManifest[];
  /** Manifests whose pack S3 confirmed (PackJournal.listManifests). */
  confirmed?: Set<string>;
  /** Files with a "sent alone" note (PackJournal.listSentAlone). */
  sentAlone: Set<string>;
  limits: PackLimits;
  /** The S3 key of a pack, for its manifest (agent/sinks/s3/object-key.ts keysUnder). */
  keyOf: KeyOf;
  gzip: boolean;
  read(path: string): Promise<Buffer>;
  /** Awaited before a new pack is read, so a pass holds only a few packs in memory. */
  waitForPackRoom?: () => Promise<void>;
}

interface Candidate {
  file: SpooledFile;
  body: Buffer;
  records: number;
}

export async function* planDrain(input: PlanInput): AsyncGenerator<DrainUnit> {
  const byName = new Map(input.files.map((file) => [file.name, file]));
  const claimed = new Set<string>();
  for (const manifest of input.manifests) {
    for (const source of manifest.sources) claimed.add(source);
    const present = manifest.sources.map((name) => byName.get(name)).filter((file): file is SpooledFile => file !== undefined);
    yield { kind: 'resume', manifest, present, confirmed: input.confirmed?.has(manifest.name) ?? false };
  }
  for (const group of partitions(input.files.filter((file) => !claimed.has(file.name)))) {
    yield* planPartition(group, input);
  }
}

/** Files grouped by customer and date partition, groups in order of their oldest file. */
function partitions(files: SpooledFile[]): SpooledFile[][] {
  const groups = new Map<string, SpooledFile[]>();
  for (const file of files) {
    const key = `${file.customerId}/${file.date}`;
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  return [...groups.values()];
}

async function* planPartition(files: SpooledFile[], input: PlanInput): AsyncGenerator<DrainUnit> {
  const { limits } = input;
  const eligible = new Set(files.filter((file) => !input.sentAlone.has(file.name) && file.bytes <= limits.maxBytes));
  if (eligible.size < limits.minFiles) {
    for (const file of files) yield { kind: 'single', file };
    return;
  }
  let chunk: Candidate[] = [];
  let chunkRecords = 0;
  let chunkBytes = 0;
  for await (const { file, candidate } of readAhead(files, eligible, input)) {
    if (!eligible.has(file)) {
      yield { kind: 'single', file };
      continue;
    }
    if (chunk.length === 0) await input.waitForPackRoom?.();
    if (!candidate || candidate.records > limits.maxRecords) {
      yield { kind: 'single', file };
      continue;
    }
    const fits = chunkRecords + candidate.records <= limits.maxRecords && chunkBytes + candidate.body.length <= limits.maxBytes;
    if (chunk.length > 0 && !fits) {
      yield* flush(chunk, input);
      chunk = [];
      chunkRecords = 0;
      chunkBytes = 0;
      await input.waitForPackRoom?.();
    }
    chunk.push(candidate);
    chunkRecords += candidate.records;
    chunkBytes += candidate.body.length;
  }
  if (chunk.length > 0) yield* flush(chunk, input);
}

/** Files read at once ahead of the one being planned, and the bytes they may hold together. */
const READ_AHEAD_FILES = 32;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Yields `files` in order with the eligible ones read, keeping a few reads in flight: a backlog
 * is thousands of small files, and reading them one after another leaves the disk idle while
 * each is checked (the drain's bottleneck).
 */
async function* readAhead(files: SpooledFile[], eligible: Set<SpooledFile>, input: PlanInput): AsyncGenerator<{ file: SpooledFile; candidate?: Candidate }> {
  const inFlight = new Map<number, Promise<Candidate | undefined>>();
  let next = 0;
  let bytesAhead = 0;
  for (let index = 0; index < files.length; index += 1) {
    while (next < files.length && inFlight.size < READ_AHEAD_FILES && (inFlight.size === 0 || bytesAhead < READ_AHEAD_BYTES)) {
      const file = files[next]!;
      inFlight.set(next, eligible.has(file) ? readCandidate(file, input) : Promise.resolve(undefined));
      bytesAhead += eligible.has(file) ? file.bytes : 0;
      next += 1;
    }
    const file = files[index]!;
    const candidate = await inFlight.get(index);
    inFlight.delete(index);
    if (eligible.has(file)) bytesAhead -= file.bytes;
    yield candidate ? { file, candidate } : { file };
  }
}

async function readCandidate(file: SpooledFile, input: PlanInput): Promise<Candidate | undefined> {
  let body: Buffer;
  try {
    body = await input.read(file.path);
  } catch {
    return undefined; // Sent alone, where the read is tried again and a failure is reported.
  }
  const records = countNdjsonRecords(body);
  return records === undefined ? undefined : { file, body, records };
}

function* flush(chunk: Candidate[], input: PlanInput): Generator<DrainUnit> {
  if (chunk.length < input.limits.minFiles) {
    for (const candidate of chunk) yield { kind: 'single', file: candidate.file };
    return;
  }
  const ndjson = Buffer.concat(chunk.map((c) => c.body));
  const first = chunk[0]!.file;
  const identity = identifyPack(input.keyOf, first, ndjson, input.gzip);
  const manifest: PackManifest = {
    version: 1,
    ...identity,
    records: chunk.reduce((sum, c) => sum + c.records, 0),
    bytes: ndjson.length,
    gzip: input.gzip,
    sources: chunk.map((c) => c.file.name),
  };
  yield { kind: 'pack', manifest, files: chunk.map((c) => c.file), ndjson };
}
