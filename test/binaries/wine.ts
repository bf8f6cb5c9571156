// The smoke test's side of .ci/wine-setup.sh and .ci/wine.sh: build or reuse the wine 10 chroot
// (an unusable chroot means the Windows checks are skipped with a loud message, not failed, so
// the Linux part still runs on machines without root or a Debian mirror), and stop it at the end.
import { join } from 'node:path';
import { describeRun, runProcess } from './binary-runner.ts';

export type WineAvailability = { ok: true; root: string; setupLine: string } | { ok: false; reason: string };

export async function prepareWine(repoRoot: string): Promise<WineAvailability> {
  const setup = await runProcess('bash', [join(repoRoot, '.ci', 'wine-setup.sh')], { timeoutMs: 20 * 60_000 });
  if (setup.code !== 0) return { ok: false, reason: `.ci/wine-setup.sh failed: ${describeRun(setup)}` };
  const root = await runProcess('bash', [join(repoRoot, '.ci', 'wine.sh'), 'root']);
  const setupLine = setup.stderr.trim().split('\n').at(-1) ?? '';
  return { ok: true, root: root.stdout.trim(), setupLine };
}

/** Stops wineserver (and any service it runs) and unmounts the chroot's file systems. */
export async function stopWine(repoRoot: string): Promise<void> {
  await runProcess('bash', [join(repoRoot, '.ci', 'wine.sh'), 'down'], { timeoutMs: 60_000 });
}

/**
 * Wine keeps a deleted service's registry key (it stays "marked for delete"), and a later
 * `service install` from another checkout would then find that stale service pointing at an NSSM
 * path this chroot no longer mounts. Real Windows removes the key; here the test removes it.
 */
export async function forgetWineService(repoRoot: string, serviceName: string): Promise<void> {
  await runProcess('bash', [join(repoRoot, '.ci', 'wine.sh'), 'exec', 'wine', 'reg', 'delete', `HKLM\\System\\CurrentControlSet\\Services\\${serviceName}`, '/f'], { timeoutMs: 60_000 });
  await stopWine(repoRoot);
}
