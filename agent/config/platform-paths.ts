// A config copied between a Windows and a Linux site keeps paths of the other OS: on Linux
// `C:\ProgramData\...` is a relative name with backslashes (a folder called "C:\ProgramData..."
// beside config.ini), and on Windows `/var/lib/...` silently means the root of the current drive.
// Both install and run, and write data where nobody looks. Checked on the raw values, before
// they are made absolute, for every key that holds a path.
import type { IniSection } from './ini-lines.ts';
import type { ProblemList } from './problems.ts';

/** `section.key` of every key whose value is a file or folder path. */
export const PATH_KEYS: readonly string[] = ['storage.dir', 'logging.dir', 's3.credentials_file', 'network.ca_file'];

const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\)|\\/;
const LINUX_ABSOLUTE = /^\/(?!\/)/;

export function checkPlatformPaths(sections: Map<string, IniSection>, problems: ProblemList, platform: NodeJS.Platform = process.platform): void {
  for (const where of PATH_KEYS) {
    const [sectionName, key] = where.split('.') as [string, string];
    for (const entry of sections.get(sectionName)?.entries.filter((e) => e.key === key) ?? []) {
      const problem = platformProblem(entry.value, platform);
      if (problem) problems.error(where, problem, entry.line);
    }
  }
}

function platformProblem(value: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32' && WINDOWS_PATH.test(value)) {
    return `'${value}' is a Windows path, but this is ${platform === 'linux' ? 'Linux' : platform}; use a path with '/' such as /var/lib/datapipe-agent (or a path relative to config.ini, e.g. ./var)`;
  }
  if (platform === 'win32' && LINUX_ABSOLUTE.test(value)) {
    return `'${value}' is a Linux path; on Windows it would mean the root of the current drive. Use a Windows path such as C:\\ProgramData\\Datapipe\\Agent\\var (or a path relative to config.ini, e.g. .\\var)`;
  }
  return undefined;
}
