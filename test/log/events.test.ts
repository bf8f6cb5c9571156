// The catalogue of log events: names support can grep for (unique, stable shape), one sentence per
// event, and the real logger printing the name at the end of the line.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { listLogEvents, LogEvents } from '../../agent/log/events.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { logFilePath } from '../../agent/log/resilient-file.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

describe('the log event catalogue', () => {
  const tempDir = useTempDirs();

  it('gives every event a unique <area>.<what-happened> name', () => {
    const names = listLogEvents().map((event) => event.name);
    expect(names.filter((name) => !/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(name))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every event its own sentence', () => {
    const texts = listLogEvents().map((event) => (typeof event === 'function' ? event.shownInGuide : event.message));
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('builds a template event with its name, level and values', () => {
    expect(LogEvents.logFileRecovered(3, '2026-11-21T10:00:00.000Z')).toEqual({
      name: 'log.file-recovered',
      level: 'info',
      message: 'Writing the log file works again; 3 line(s) since 2026-11-21T10:00:00.000Z went to standard error only.',
      guide: 'spool-agent-and-scheduler',
    });
    expect(LogEvents.credentialsFileWarning('the file is odd').message).toBe('the file is odd');
  });

  it("quotes each template in the guide as it prints with the guide's placeholders", () => {
    expect(LogEvents.logFileRecovered('<n>' as unknown as number, '<time>').message).toBe(LogEvents.logFileRecovered.shownInGuide);
    const diskFull = LogEvents.diskFullAtStart('<storage dir>', 'ENOSPC ...', 30).message;
    expect(diskFull.startsWith(LogEvents.diskFullAtStart.shownInGuide), diskFull).toBe(true);
  });

  it('is printed by the logger as the sentence, the fields, then event=<name>', async () => {
    const dir = await tempDir();
    const logger = createLogger({ dir, level: 'debug', keepDays: 1, console: false });
    logger.child('collect').info(LogEvents.cycleFinished, { ok: 2, failed: 0 });
    logger.child('drain').warn(LogEvents.passStoppedEarly, { error: 'NetworkError', detail: 'the proxy hung up' });
    await logger.close();
    const lines = (await readFile(logFilePath(dir, new Date()), 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(/^\S+Z info {2}collect: Cycle finished\. ok=2 failed=0 event=collect\.cycle-finished$/);
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z warn {2}drain: ${LogEvents.passStoppedEarly.message.replace(/[.:;]/g, '\\$&')} error=NetworkError detail="the proxy hung up" event=drain\\.pass-stopped-early$`));
  });
});
