// Writes the bundle's entries into one zip (yazl), under a temporary name renamed at the end, so
// a half-written zip never carries the final name.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface ZipEntry {
  name: string;
  content: string;
}

export async function writeZip(path: string, entries: ZipEntry[], mtime: Date): Promise<number> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(Buffer.from(entry.content, 'utf8'), entry.name, { mtime, mode: 0o100644 });
  zip.end();
  const temporary = `${path}.partial`;
  try {
    const out = createWriteStream(temporary, { mode: 0o600 });
    await pipeline(zip.outputStream, out);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return entries.length;
}
