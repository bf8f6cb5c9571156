// The dedicated system user and group `datapipe-agent`: declared in a sysusers.d file (the way
// packages do it, so `systemd-sysusers` recreates it on image-based systems), created with
// systemd-sysusers (also under a staging root), or with useradd where sysusers is missing.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LINUX } from '../layout.ts';
import { describeFailure, type CommandRunner } from '../runner.ts';
import { ServiceError } from '../service-error.ts';
import type { Staging } from './staging.ts';

export interface ServiceAccount {
  uid: number;
  gid: number;
}

export const SYSUSERS_LINE = `u ${LINUX.user} - "Datapipe agent service" ${LINUX.stateDir} /usr/sbin/nologin\n`;

export async function ensureServiceUser(staging: Staging, runner: CommandRunner, report: (line: string) => void): Promise<ServiceAccount> {
  const sysusersFile = staging.onHost(LINUX.sysusersFile);
  await mkdir(dirname(sysusersFile), { recursive: true });
  await writeFile(sysusersFile, `# The system user the datapipe-agent service runs as.\n${SYSUSERS_LINE}`, { mode: 0o644 });
  const existing = await lookUpAccount(staging);
  if (existing) {
    report(`ok    user ${LINUX.user} exists (uid ${existing.uid})`);
    return existing;
  }
  const sysusers = await runner('systemd-sysusers', [...(staging.staged ? [`--root=${staging.root}`] : []), sysusersFile]);
  if (sysusers.missing && !staging.staged) {
    const useradd = await runner('useradd', ['--system', '--user-group', '--home-dir', LINUX.stateDir, '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'Datapipe agent service', LINUX.user]);
    if (useradd.code !== 0) throw new ServiceError(`Could not create the system user ${LINUX.user}: ${describeFailure(useradd)}`, 'Create it yourself (useradd --system --user-group datapipe-agent) and run the install again.');
  } else if (sysusers.code !== 0) {
    throw new ServiceError(`Could not create the system user ${LINUX.user}: ${describeFailure(sysusers)}`, 'Install systemd (systemd-sysusers) or create the user with useradd --system --user-group datapipe-agent, then run the install again.');
  }
  const created = await lookUpAccount(staging);
  if (!created) throw new ServiceError(`The system user ${LINUX.user} is still missing after creating it.`, `Check ${staging.onHost('/etc/passwd')} and create the user by hand.`);
  report(`ok    created system user ${LINUX.user} (uid ${created.uid})`);
  return created;
}

/** The user's uid and gid from the (staged) /etc/passwd, or undefined when it does not exist. */
export async function lookUpAccount(staging: Staging): Promise<ServiceAccount | undefined> {
  let passwd: string;
  try {
    passwd = await readFile(staging.onHost('/etc/passwd'), 'utf8');
  } catch {
    return undefined;
  }
  const fields = passwd.split('\n').map((line) => line.split(':')).find((f) => f[0] === LINUX.user);
  if (!fields || fields.length < 4) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}
