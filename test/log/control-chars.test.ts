import { describe, expect, it } from 'vitest';
import { escapeControl, escapeControlKeepLines } from '../../agent/log/control-chars.ts';
import { formatFields } from '../../agent/log/logger.ts';

describe('escapeControl', () => {
  it.each([
    ['\u001b[2J\u001b[H', '\\x1b[2J\\x1b[H'],
    ['ok\rFAKE', 'ok\\rFAKE'],
    ['one\ntwo', 'one\\ntwo'],
    ['\u0007\u0000\u007f\u009b', '\\x07\\x00\\x7f\\x9b'],
    ['abc\u202eexe.txt', 'abc\\u202eexe.txt'],
    ['Jyväskylä 25 °C', 'Jyväskylä 25 °C'],
  ])('shows %j as %j', (input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it('keeps the newlines and tabs of composed output but escapes the rest', () => {
    expect(escapeControlKeepLines('a\tb\nc\u001b]0;title\u0007\r\n')).toBe('a\tb\nc\\x1b]0;title\\x07\\r\n');
  });
});

describe('log fields', () => {
  it('never carry a raw control character into a log line', () => {
    const line = formatFields({ reason: '\u001b[2Jcleared', detail: 'two\nlines\u009b', plain: 'x\u001by' });
    expect(line).toBe('reason=\\x1b[2Jcleared detail="two\\nlines\\x9b" plain=x\\x1by');
    // eslint-disable-next-line no-control-regex -- asserting that none are left
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
