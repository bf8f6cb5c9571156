// Files in dump/ that are not what their names say, planted the way antivirus, a person, a bad
// restore or an attacker with local access would leave them. Each has a valid cycle-file name,
// so only the agent's own checks keep it from being sent:
//   symlink-outside  a symbolic link to a file outside the spool holding a marker (an attacker
//                    pointing the agent at /etc/shadow);
//   symlink-zero     a symbolic link to /dev/zero (an endless read);
//   fifo             a named pipe (an open that blocks forever);
//   empty            a zero-byte regular file;
//   truncated        a real cycle file cut in half, so its content no longer matches its name.
// The checker then requires: none of them uploaded, the marker in no object, the link targets
// untouched, none left in dump/ (set aside for a person), and the agent never hung or ballooned.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildObservation, toNdjson } from '../../agent/envelope/records.ts';
import { cycleFileName } from '../../agent/spool/file-names.ts';
import { CUSTOMER_ID, LOCATIONS } from './site.ts';

export type PlantedKind = 'symlink-outside' | 'symlink-zero' | 'fifo' | 'empty' | 'truncated';

export interface PlantedFile {
  kind: PlantedKind;
  name: string;
}

export interface Planting {
  files: PlantedFile[];
  /** Appears in the outside file only: finding it in S3 means a link was followed. */
  marker: string;
  outsideFile: string;
}

/** A valid-looking cycle file name for `body`, a few hours back so it sorts first in the drain. */
function plantedName(body: Buffer, hoursBack: number): string {
  return cycleFileName(CUSTOMER_ID, new Date(Date.now() - hoursBack * 3_600_000 - Math.floor(Math.random() * 1000)), body);
}

export async function plantSpecialFiles(storageDir: string, siteDir: string): Promise<Planting> {
  const dump = join(storageDir, 'dump');
  await mkdir(dump, { recursive: true });
  const marker = `PLANTED-OUTSIDE-${randomBytes(8).toString('hex')}`;
  // One target per planting: a second set planted in the same run must not overwrite the first
  // set's marker, or the check of the first target would report a change the agent never made.
  const outsideFile = join(siteDir, `outside-the-spool-${marker}.txt`);
  await writeFile(outsideFile, `${JSON.stringify({ secret: marker })}\n`);
  const files: PlantedFile[] = [];
  const plant = (kind: PlantedKind, name: string) => files.push({ kind, name });

  const outsideName = plantedName(Buffer.from(marker), 3);
  await symlink(outsideFile, join(dump, outsideName));
  plant('symlink-outside', outsideName);

  const zeroName = plantedName(randomBytes(16), 3);
  await symlink('/dev/zero', join(dump, zeroName));
  plant('symlink-zero', zeroName);

  const fifoName = plantedName(randomBytes(16), 3);
  if (spawnSync('mkfifo', [join(dump, fifoName)]).status === 0) plant('fifo', fifoName);

  const emptyName = plantedName(randomBytes(16), 3);
  await writeFile(join(dump, emptyName), '');
  plant('empty', emptyName);

  // A genuine record of a time the stand-in never serves (year 2001), so it cannot be mistaken
  // for a served observation; cut in half after its name was computed over the whole body.
  const location = LOCATIONS[0]!;
  const whole = Buffer.from(toNdjson([buildObservation({ customerId: CUSTOMER_ID, location, observedAt: new Date('2001-01-01T00:00:00Z'), collectedAt: new Date(), agent: { version: 'planted', host: 'planted' }, payload: { current: { time: '2001-01-01T00:00' } } })]));
  const truncatedName = plantedName(whole, 3);
  await writeFile(join(dump, truncatedName), whole.subarray(0, Math.floor(whole.length / 2)));
  plant('truncated', truncatedName);

  return { files, marker, outsideFile };
}
