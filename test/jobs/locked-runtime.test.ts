// `once` and `drain` hold the instance lock for the whole command: it is released however the
// command ends, also when building the runtime fails (else the next start has to take it over).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.ts';
import { withLockedRuntime } from '../../agent/jobs/runtime.ts';
import { findLockOwner } from '../../agent/state/instance-lock.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

async function siteConfig(dir: string) {
  const file = join(dir, 'config.ini');
  await writeFile(file, [
    '[customer]', 'id = acme-001', '', '[locations]', 'helsinki = 60.1699, 24.9384, Helsinki', '',
    '[s3]', 'bucket = acme-landing', 'region = eu-west-1', '', '[storage]', 'dir = ./var', '',
  ].join('\n'));
  return (await loadConfig(file)).config;
}

describe('withLockedRuntime', () => {
  const tempDir = useTempDirs();

  it('holds the lock while the command runs and releases it after', async () => {
    const config = await siteConfig(await tempDir());
    const owner = await withLockedRuntime(config, 'once', { console: false }, async () => findLockOwner(config.storage.dir));
    expect(owner).toMatchObject({ pid: process.pid, command: 'once' });
    expect(await findLockOwner(config.storage.dir)).toBeUndefined();
  });

  it('releases the lock when the runtime cannot be built (network.ca_file gone since validation)', async () => {
    const dir = await tempDir();
    const config = await siteConfig(dir);
    config.network.caFile = join(dir, 'removed-ca.pem');
    let used = false;
    await expect(withLockedRuntime(config, 'drain', { console: false }, async () => (used = true))).rejects.toThrow(/removed-ca\.pem/);
    expect(used).toBe(false);
    expect(await findLockOwner(config.storage.dir)).toBeUndefined();
  });

  it('releases the lock when the command throws', async () => {
    const config = await siteConfig(await tempDir());
    await expect(withLockedRuntime(config, 'once', { console: false }, async () => { throw new Error('cycle failed'); })).rejects.toThrow('cycle failed');
    expect(await findLockOwner(config.storage.dir)).toBeUndefined();
  });
});
