// What a drain pass sets aside instead of sending (agent/spool/quarantine.ts): dump entries that
// are not regular files, pack manifests the agent would not have written, and poison files (S3
// refused them POISON_FILE_LIMIT times for a reason of their own). Each one is one error line,
// the same line for every kind, so support staff search for one sentence.
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { POISON_FILE_LIMIT } from '../sinks/s3/file-specific-errors.ts';
import { untrustedManifestReason } from '../spool/manifest-check.ts';
import type { PackManifest } from '../spool/pack-journal.ts';
import type { KeyOf } from '../spool/pack.ts';
import type { QuarantineReason } from '../spool/quarantine.ts';
import type { Spool } from '../spool/spool.ts';
import type { DumpFileFailures } from '../state/status-store.ts';
import { LogEvents } from '../log/events.ts';

/** The one error line for anything set aside, whatever the kind. */
export function logQuarantined(logger: Logger, fields: { entry: string; reason: string; detail: string; folder: string }): void {
  logger.error(LogEvents.entryQuarantined, fields);
}

export async function quarantineAndLog(
  spool: Spool,
  logger: Logger,
  path: string,
  reason: Omit<QuarantineReason, 'at'>,
): Promise<boolean> {
  try {
    const name = await spool.quarantine.put(path, reason);
    logQuarantined(logger, { entry: name, reason: reason.code, detail: reason.message, folder: spool.quarantine.dir });
    return true;
  } catch (error) {
    logger.error(LogEvents.quarantineFailed, {
      entry: path, reason: reason.code, detail: reason.message, error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
}

/**
 * Before a pass plans anything: special entries in dump/ and untrusted manifests go to the
 * quarantine. Returns the manifests that may be resumed and how many entries were set aside.
 */
export async function setAsideUntrusted(
  spool: Spool,
  logger: Logger,
  site: { keyOf: KeyOf; customerId?: string },
): Promise<{ manifests: PackManifest[]; confirmed: Set<string>; quarantined: number }> {
  let quarantined = 0;
  for (const path of await spool.listDumpSpecial()) {
    const reason = { code: 'NotARegularFile' as const, from: 'dump' as const, message: 'It is a symbolic link, pipe, device or folder with a cycle file name; the agent never follows or reads such entries.' };
    if (await quarantineAndLog(spool, logger, path, reason)) quarantined += 1;
  }
  const { manifests, unreadable, confirmed } = await spool.journal.listManifests();
  for (const path of unreadable) {
    const reason = { code: 'UntrustedManifest' as const, from: 'packs' as const, message: 'The pack manifest cannot be read (damaged or not JSON); its files are sent one by one.' };
    if (await quarantineAndLog(spool, logger, path, reason)) quarantined += 1;
  }
  const trusted: PackManifest[] = [];
  for (const manifest of manifests) {
    const why = untrustedManifestReason(manifest, site);
    if (why === undefined) {
      trusted.push(manifest);
      continue;
    }
    const message = `The pack manifest is not one this agent would have written: ${why}. Its files are sent one by one.`;
    // Never acted on, even when it could not be moved: its files are planned as if it did not exist.
    if (await quarantineAndLog(spool, logger, join(spool.journal.dir, `${manifest.name}.json`), { code: 'UntrustedManifest', from: 'packs', message })) quarantined += 1;
    confirmed.delete(manifest.name);
  }
  return { manifests: trusted, confirmed, quarantined };
}

/** Poison files: refused POISON_FILE_LIMIT times for a file-specific reason. Returns how many were set aside. */
export async function quarantinePoisonFiles(spool: Spool, logger: Logger, failures: [string, DumpFileFailures][]): Promise<string[]> {
  const moved: string[] = [];
  for (const [name, failure] of failures) {
    if ((failure.refusals ?? 0) < POISON_FILE_LIMIT) continue;
    const reason: Omit<QuarantineReason, 'at'> = {
      code: 'RefusedByS3',
      from: 'dump',
      message: `S3 refused this file ${failure.refusals} times with ${failure.lastError}, a refusal about the file itself (too large, a name S3 rejects); sending it again would fail the same way.`,
      lastError: failure.lastError,
      attempts: failure.attempts,
    };
    if (await quarantineAndLog(spool, logger, join(spool.dumpDir, name), reason)) moved.push(name);
  }
  return moved;
}
