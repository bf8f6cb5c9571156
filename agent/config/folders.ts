// Can the agent write where the config says? Asked by `validate` (so a technician learns it before
// the first cycle) and by `init` (which creates the folders). A real probe file is written, because
// permission bits and access() do not tell the truth on Windows ACLs or read-only mounts.
import { randomBytes } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * null when `dir` exists and is writable, or does not exist but its nearest existing ancestor is
 * writable (so `init` can create it); otherwise a sentence saying why not and what to do.
 */
export async function checkFolderWritable(dir: string): Promise<string | null> {
  const target = resolve(dir);
  const existing = await findNearestExisting(target);
  if ('problem' in existing) return existing.problem;
  const { path, isDirectory } = existing;
  const named = path === target ? `folder ${target}` : `folder ${target} does not exist yet and its parent ${path}`;
  if (!isDirectory) {
    return path === target
      ? `${target} is a file, not a folder; choose another path or remove the file`
      : `cannot create folder ${target} because ${path} is a file, not a folder; choose another path`;
  }
  const failure = await probeWrite(path);
  if (failure === null) return null;
  return `${named} is not writable by this account (${failure}); grant the account the agent runs as write access, or choose another folder`;
}

/**
 * The folder itself or its nearest existing ancestor (what `init` would create it in, and the file
 * system it lives on); a sentence instead when a part of the path cannot be read. Also doctor's.
 */
export async function findNearestExisting(target: string): Promise<{ path: string; isDirectory: boolean } | { problem: string }> {
  let path = target;
  for (;;) {
    try {
      const info = await stat(path);
      return { path, isDirectory: info.isDirectory() };
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        return { problem: `cannot check folder ${target}: ${path} is not accessible (${code}); grant the agent's account access or choose another folder` };
      }
      const parent = dirname(path);
      if (parent === path) return { problem: `cannot check folder ${target}: no part of the path exists; check the drive or mount` };
      path = parent;
    }
  }
}

/** null when a file could be created and removed in `dir`, else the error code. Also `init`'s probe. */
export async function probeWrite(dir: string): Promise<string | null> {
  const probe = join(dir, `.datapipe-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    return errorCode(error);
  }
  await unlink(probe).catch(() => undefined);
  return null;
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
