// The one reader of the AWS credentials file (agent/config/credentials-file.ts), on bytes: what
// validate, run, doctor and the support bundle all see. File access is tested through
// loadCredentialsFile (test/sinks/s3/credentials-file.test.ts) and validate (load.test.ts).
import { describe, expect, it } from 'vitest';
import { parseCredentialsFile } from '../../agent/config/credentials-file.ts';

const FILE = '/etc/datapipe-agent/credentials.ini';
const parse = (text: string) => parseCredentialsFile(Buffer.from(text), FILE);

describe('parseCredentialsFile', () => {
  it.each([
    { layout: 'top of file', text: 'aws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n', section: '' },
    { layout: '[default]', text: '[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n', section: 'default' },
    { layout: 'a comment after whitespace', text: '[default]\naws_access_key_id = AKIA1 ; from IAM\naws_secret_access_key = s3cr3t\n', section: 'default' },
    { layout: 'a key given twice (the last counts)', text: '[default]\naws_access_key_id = AKIA0\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n', section: 'default' },
  ])('reads the keys at the $layout', ({ text, section }) => {
    const content = parse(text);
    expect(content).toMatchObject({ section, accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t', problems: [] });
  });

  it('lists key names per section and never a value among them', () => {
    const content = parse('region = eu\n[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n[prod]\naws_access_key_id = AKIA2\n');
    expect(content.keyNames).toEqual({ '(top of file)': ['region'], '[default]': ['aws_access_key_id', 'aws_secret_access_key'], '[prod]': ['aws_access_key_id'] });
  });

  it('returns every value to mask, also from a line the scanner refuses (an unclosed quote)', () => {
    const content = parse('[default]\naws_access_key_id = AKIA1\naws_secret_access_key = "half-quoted-secret\n');
    expect(content.values).toEqual(expect.arrayContaining(['AKIA1', '"half-quoted-secret', 'half-quoted-secret']));
    // The scanner's reason, not "is missing": the key is there, its line is broken.
    expect(content.problems).toEqual([expect.objectContaining({ where: 'default.aws_secret_access_key', kind: 'syntax', line: 3, message: expect.stringContaining('never closes it') })]);
  });

  it('refuses UTF-16 with the fix, naming the file', () => {
    const content = parseCredentialsFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('aws_access_key_id = AKIA1\n', 'utf16le')]), FILE);
    expect(content.problems).toEqual([expect.objectContaining({ where: 's3.credentials_file', kind: 'file', message: expect.stringContaining(`${FILE} is saved as UTF-16`) })]);
  });

  it('refuses keys both at the top and under [default], pointing at the [default] line', () => {
    const content = parse('aws_access_key_id = AKIA1\naws_secret_access_key = a\n\n[default]\naws_access_key_id = AKIA2\naws_secret_access_key = b\n');
    expect(content.problems).toEqual([expect.objectContaining({ where: 'default', kind: 'ambiguous', line: 4 })]);
    expect(content.accessKeyId).toBeUndefined();
  });
});
