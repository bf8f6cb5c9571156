// Node's single-executable mechanism (SEA): the CommonJS bundle becomes a "preparation blob",
// which postject injects into a copy of a stock Node runtime as the NODE_SEA_BLOB resource. At
// start-up that runtime finds the blob (the fuse below is flipped by the injection) and runs it
// instead of reading a script from disk.
//
// Each platform gets its own blob, with a V8 code cache (installer/sea/blob.ts). The Linux runtime
// is stripped first (~18 MB of debug symbols); the Windows one loses its Authenticode signature (the injection invalidates it anyway,
// and osslsigncode removes it cleanly so the PE has no stale certificate table).
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Runtime } from './runtime.ts';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

interface PostjectApi {
  inject(file: string, resourceName: string, data: Buffer, options: { sentinelFuse: string; machoSegmentName?: string }): Promise<void>;
}

/** Copies the runtime to `output`, prepares it for its platform and injects the blob. */
export async function buildExecutable(runtime: Runtime, blobFile: string, output: string): Promise<void> {
  await rm(output, { force: true });
  if (runtime.platform === 'win') await removeAuthenticodeSignature(runtime.executable, output);
  else await copyFile(runtime.executable, output);
  await chmod(output, 0o755);
  if (runtime.platform === 'linux') stripSymbols(output);
  const postject = createRequire(import.meta.url)('postject') as PostjectApi;
  await postject.inject(output, 'NODE_SEA_BLOB', await readFile(blobFile), { sentinelFuse: SEA_FUSE });
}

function stripSymbols(file: string): void {
  const result = spawnSync('strip', ['--strip-all', file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(`strip --strip-all ${file} failed (${result.error?.message ?? result.stderr.trim()}); install binutils (apt-get install binutils)`);
  }
}

async function removeAuthenticodeSignature(input: string, output: string): Promise<void> {
  const result = spawnSync('osslsigncode', ['remove-signature', '-in', input, '-out', output], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    // Not essential: postject rewrites the PE and drops the certificate table itself.
    console.log('osslsigncode not found (apt-get install osslsigncode); copying node.exe with its signature, postject drops it');
    await copyFile(input, output);
    return;
  }
  if (result.status !== 0) throw new Error(`osslsigncode remove-signature failed: ${result.stderr.trim()}`);
}
