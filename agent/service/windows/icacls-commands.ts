// The icacls command lines that make the data root (config, credentials, data, logs) private:
// only Administrators, SYSTEM and the service's account, named by well-known SIDs so they work on
// any Windows language. Pure builders (unit-tested); runner.ts runs them in order.
//   1. reset everything under the root to inherit only (drops explicit grants, e.g. for Users)
//   2. the root stops inheriting from C:\ProgramData (which lets Users read) and grants
//      Administrators and SYSTEM full control, the service account read + execute
//   3. the storage and log folders: the service account may also write (Modify)
import { WINDOWS_ACCOUNTS, type WindowsAccount } from '../layout.ts';

export const ADMINISTRATORS_SID = 'S-1-5-32-544';
export const SYSTEM_SID = 'S-1-5-18';

export function icaclsCommands(options: { dataRoot: string; writableDirs: string[]; account: WindowsAccount }): string[][] {
  const sid = WINDOWS_ACCOUNTS[options.account].sid;
  const grants = [`*${ADMINISTRATORS_SID}:(OI)(CI)F`, `*${SYSTEM_SID}:(OI)(CI)F`];
  if (sid !== SYSTEM_SID) grants.push(`*${sid}:(OI)(CI)RX`);
  const commands = [
    [options.dataRoot, '/reset', '/T', '/C', '/Q'],
    [options.dataRoot, '/inheritance:r', '/grant:r', ...grants, '/Q'],
  ];
  if (sid !== SYSTEM_SID) {
    for (const dir of new Set(options.writableDirs)) commands.push([dir, '/grant:r', `*${sid}:(OI)(CI)M`, '/Q']);
  }
  return commands;
}
