import { describe, expect, it } from 'vitest';
import { readValue, scanIni } from '../../agent/config/ini-lines.ts';

describe('readValue', () => {
  it.each([
    { raw: ' 30   ; seconds', value: '30' },
    { raw: ' raw/ # per site', value: 'raw/' },
    { raw: ' a;b', value: 'a;b' }, // the `ini` package would give "a"
    { raw: ' https://host/#frag', value: 'https://host/#frag' },
    { raw: ' C:\\ProgramData\\Datapipe\\Agent', value: 'C:\\ProgramData\\Datapipe\\Agent' },
    { raw: ' C:\\ProgramData\\Datapipe\\Agent ; data', value: 'C:\\ProgramData\\Datapipe\\Agent' },
    { raw: ' "C:\\new\\Program Files" ; quoted', value: 'C:\\new\\Program Files' }, // `ini` JSON-parses: \n -> newline
    { raw: " 'single ; quoted # text'", value: 'single ; quoted # text' },
    { raw: ' "  spaces kept  "', value: '  spaces kept  ' },
    { raw: ' true', value: 'true' }, // stays a string (the `ini` package returns a boolean)
    { raw: '', value: '' },
    { raw: '   ', value: '' },
    { raw: ' ; only a comment', value: '' },
    { raw: ' a = b', value: 'a = b' },
  ])('$raw -> $value', ({ raw, value }) => {
    expect(readValue(raw)).toEqual({ value });
  });

  it.each([
    { raw: ' "C:\\data', fragment: 'never closes' },
    { raw: ' "a" b', fragment: 'unexpected text after the closing " quote' },
  ])('$raw is an error', ({ raw, fragment }) => {
    const result = readValue(raw);
    expect('error' in result && result.error).toContain(fragment);
  });
});

describe('scanIni', () => {
  it('keeps line numbers across BOM, CRLF, lone CR, comments and blank lines', () => {
    const text = '\uFEFF; header comment\r\n[s3] ; the bucket\r\n\r\nbucket = b1\r# note\rregion=eu-north-1\n  [ storage ]  \n dir = ./var ';
    expect(scanIni(text)).toEqual({
      sections: [
        { name: 's3', line: 2, entries: [{ key: 'bucket', value: 'b1', line: 4 }, { key: 'region', value: 'eu-north-1', line: 6 }] },
        { name: 'storage', line: 7, entries: [{ key: 'dir', value: './var', line: 8 }] },
      ],
      problems: [],
    });
  });

  it('keeps repeated sections and keys instead of collapsing them', () => {
    const { sections } = scanIni('[a]\nk = 1\nk = 2\n[a]\nk = 3\n');
    expect(sections).toEqual([
      { name: 'a', line: 1, entries: [{ key: 'k', value: '1', line: 2 }, { key: 'k', value: '2', line: 3 }] },
      { name: 'a', line: 4, entries: [{ key: 'k', value: '3', line: 5 }] },
    ]);
  });

  it('does not split dotted section names or treat [] in keys specially', () => {
    const { sections } = scanIni('[a.b]\nlist[] = 1\n');
    expect(sections).toEqual([{ name: 'a.b', line: 1, entries: [{ key: 'list[]', value: '1', line: 2 }] }]);
  });

  it.each([
    { text: 'orphan = 1', line: 1, where: 'orphan', fragment: 'outside any section' },
    { text: '[s3]\njust words', line: 2, where: 's3', fragment: 'cannot read this line' },
    { text: '[s3]\n= value', line: 2, where: 's3', fragment: 'no key before it' },
    { text: '[]\n', line: 1, where: 'file', fragment: 'empty section header' },
    { text: '[s3\nbucket = x', line: 1, where: 'file', fragment: 'cannot read section header "[s3"' },
    { text: '[s3] x\n', line: 1, where: 'file', fragment: 'cannot read section header' },
  ])('reports $fragment', ({ text, line, where, fragment }) => {
    const { problems } = scanIni(text);
    expect(problems).toEqual([{ line, where, message: expect.stringContaining(fragment) }]);
  });
});
