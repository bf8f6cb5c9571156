// When "the dump is growing" becomes a Windows event (agent/jobs/dump-growth.ts), tested on any OS.
import { describe, expect, it } from 'vitest';
import { createDumpGrowthWatcher, GROWTH_CYCLES } from '../../agent/jobs/dump-growth.ts';

const MB = 1024 * 1024;

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
