// The Windows Event Log writer's decisions, tested on any OS: the eventcreate argument list and the
// text clean-up. Writing is a no-op off Windows. When the dump deserves an event: test/jobs/dump-growth.test.ts.
import { describe, expect, it } from 'vitest';
import {
  buildEventCreateArgs,
  cleanDescription,
  reportWindowsEvent,
  reportWindowsEventBeforeExit,
  WINDOWS_EVENTS,
} from '../../agent/log/windows-event-log.ts';
import { registerSecret } from '../../agent/log/logger.ts';

describe('eventcreate arguments', () => {
  it('names the Application log, the type, the source and the documented id', () => {
    expect(buildEventCreateArgs('started', 'datapipe-agent 1.0 started.')).toEqual([
      '/L', 'APPLICATION', '/T', 'INFORMATION', '/SO', 'DatapipeAgent', '/ID', '100', '/D', 'datapipe-agent 1.0 started.',
    ]);
    expect(buildEventCreateArgs('fatal', 'x')).toContain('ERROR');
    expect(buildEventCreateArgs('dumpGrowing', 'x')).toContain('WARNING');
  });

  it('uses ids eventcreate accepts (1-1000), each once', () => {
    const ids = Object.values(WINDOWS_EVENTS).map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id >= 1 && id <= 1000).toBe(true);
  });

  it('makes the description one line without double quotes, masks secrets, and bounds it', () => {
    registerSecret('event-log-secret-value');
    const text = cleanDescription('line one\r\nline "two" event-log-secret-value');
    expect(text).toBe("line one line 'two' **REDACTED**");
    expect(cleanDescription('x'.repeat(5_000)).length).toBeLessThanOrEqual(1_000);
    expect(cleanDescription('  ')).not.toBe('');
  });

  it('writes nothing and resolves false off Windows', async () => {
    await expect(reportWindowsEvent('started', 'x', 'linux')).resolves.toBe(false);
    await expect(reportWindowsEventBeforeExit('stopped', 'x', 100, 'linux')).resolves.toBe(false);
  });
});
