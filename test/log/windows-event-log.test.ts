// The Windows Event Log writer's decisions, tested on any OS: the eventcreate argument list, the
// text clean-up, and when "the dump is growing" becomes an event. Writing is a no-op off Windows.
import { describe, expect, it } from 'vitest';
import {
  buildEventCreateArgs,
  cleanDescription,
  createDumpGrowthWatcher,
  GROWTH_CYCLES,
  reportWindowsEvent,
  reportWindowsEventBeforeExit,
  WINDOWS_EVENTS,
} from '../../agent/log/windows-event-log.ts';
import { registerSecret } from '../../agent/log/logger.ts';

const MB = 1024 * 1024;

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

describe('dump growth watcher', () => {
  it('reports 50 %, 80 % and full once per crossing, and the dump emptying', () => {
    const watcher = createDumpGrowthWatcher(100);
    const names = (bytes: number, files = 1) => watcher.observe({ files, bytes }).map((event) => event.name);
    expect(names(10 * MB)).toEqual([]);
    expect(names(55 * MB)).toEqual(['dumpHalfFull']);
    expect(names(60 * MB)).toEqual([]);
    expect(names(85 * MB)).toEqual(['dumpNearlyFull']);
    expect(names(100 * MB)).toEqual(['dumpFull']);
    expect(names(100 * MB)).toEqual([]);
    expect(names(75 * MB)).toEqual([]); // still within the re-arm margin of 80 %
    expect(names(0, 0)).toEqual(['dumpCleared']);
    expect(names(55 * MB)).toEqual(['dumpHalfFull']); // a new episode
  });

  it(`reports a dump that gained files in ${GROWTH_CYCLES} cycles in a row, once`, () => {
    const watcher = createDumpGrowthWatcher(10_000);
    const events: string[] = [];
    for (let files = 1; files <= GROWTH_CYCLES + 3; files += 1) events.push(...watcher.observe({ files, bytes: files * 1000 }).map((e) => e.name));
    expect(events).toEqual(['dumpGrowing']);
    const growing = createDumpGrowthWatcher(10_000);
    // A drain that takes files out in between means uploads work: no event.
    const sizes = [1, 2, 3, 1, 2, 3, 4, 5, 1];
    expect(sizes.flatMap((files) => growing.observe({ files, bytes: files }))).toEqual([]);
  });

  it('describes the event with sizes and what to do', () => {
    const watcher = createDumpGrowthWatcher(10);
    const [event] = watcher.observe({ files: 3, bytes: 10 * MB });
    expect(event?.description).toMatch(/full.*10\.0 MB in 3 file\(s\) of max_dump_mb 10.*status/);
  });
});
