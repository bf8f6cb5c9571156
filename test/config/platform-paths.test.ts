// A path of the other OS in a path key is refused with the form this OS needs, on either OS.
import { describe, expect, it } from 'vitest';
import { scanIni } from '../../agent/config/ini-lines.ts';
import { checkPlatformPaths } from '../../agent/config/platform-paths.ts';
import { ProblemList } from '../../agent/config/problems.ts';

function check(text: string, platform: NodeJS.Platform) {
  const problems = new ProblemList('/etc/datapipe-agent/config.ini');
  const sections = new Map(scanIni(text).sections.map((section) => [section.name, section]));
  checkPlatformPaths(sections, problems, platform);
  return problems.sorted().map((p) => ({ where: p.where, line: p.line, message: p.message }));
}

describe('checkPlatformPaths', () => {
  it.each([
    ['linux', '[storage]\ndir = C:\\ProgramData\\Datapipe\\Agent', 'storage.dir', /Windows path, but this is Linux/],
    ['linux', '[logging]\ndir = \\\\fileserver\\logs', 'logging.dir', /Windows path/],
    ['linux', '[s3]\ncredentials_file = D:/keys/credentials.ini', 's3.credentials_file', /Windows path/],
    ['linux', '[network]\nca_file = certs\\corp-root.pem', 'network.ca_file', /Windows path/],
    ['win32', '[storage]\ndir = /var/lib/datapipe-agent', 'storage.dir', /Linux path; on Windows it would mean the root of the current drive/],
    ['win32', '[s3]\ncredentials_file = /etc/datapipe-agent/credentials.ini', 's3.credentials_file', /Linux path/],
  ] as const)('on %s refuses %j', (platform, text, where, message) => {
    const problems = check(text, platform);
    expect(problems).toEqual([{ where, line: 2, message: expect.stringMatching(message) }]);
  });

  it.each([
    ['linux', '[storage]\ndir = /var/lib/datapipe-agent\n[logging]\ndir = ./var/logs\n[s3]\ncredentials_file = credentials.ini'],
    ['win32', '[storage]\ndir = C:\\ProgramData\\Datapipe\\Agent\n[logging]\ndir = .\\var\\logs\n[network]\nca_file = \\\\fileserver\\certs\\root.pem'],
  ] as const)('on %s accepts its own paths', (platform, text) => {
    expect(check(text, platform)).toEqual([]);
  });
});
