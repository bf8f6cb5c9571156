import { describe, expect, it } from 'vitest';
import { closestName, describeAlternatives } from '../../agent/config/suggest.ts';

const KEYS = ['url', 'variables', 'schedule', 'jitter_seconds', 'timeout_seconds', 'api_key'];

describe('closestName', () => {
  it.each([
    { name: 'timeout', expected: 'timeout_seconds' },
    { name: 'timeout_secs', expected: 'timeout_seconds' },
    { name: 'Schedule', expected: 'schedule' },
    { name: 'varaibles', expected: 'variables' },
    { name: 'apikey', expected: 'api_key' },
    { name: 'jitter', expected: 'jitter_seconds' },
    { name: 'colour', expected: undefined },
  ])('$name -> $expected', ({ name, expected }) => {
    expect(closestName(name, KEYS)).toBe(expected);
  });

  it('lists the known names when nothing is close', () => {
    expect(describeAlternatives('colour', ['s3', 'network'], 'sections')).toBe('known sections: s3, network');
  });
});
