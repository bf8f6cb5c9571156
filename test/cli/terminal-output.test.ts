// `status` shows what servers said (an Open-Meteo reason, an S3 message) as stored in status.json:
// through the real CLI, such text must not reach the terminal with its control characters.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/exit-codes.ts';
import { createStatusStore } from '../../agent/state/status-store.ts';
import { createSite, runCli } from '../helpers/agent-site.ts';
import type { OpenMeteoStub } from '../helpers/open-meteo-stub.ts';
import type { TestS3Server } from '../helpers/s3-server.ts';
import { useTempDirs } from '../helpers/temp-dir.ts';

const HOSTILE = 'Bad request\u001b[2J\u001b[H\rOK: all fine\nLast error:   none\u202e';

describe('terminal output', () => {
  const tempDir = useTempDirs();

  it('status escapes control characters in server-supplied text instead of printing them', async () => {
    const s3 = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTTESTTEST', secretAccessKey: 'secret-secret-secret' } } as TestS3Server;
    const site = await createSite({ dir: await tempDir(), s3, openMeteo: { url: 'http://127.0.0.1:9/v1/forecast' } as OpenMeteoStub });
    await createStatusStore(site.storageDir, '0.0.0-test').update((state) => {
      state.lastError = { at: new Date().toISOString(), component: 'open-meteo', errorClass: 'bad-request', message: HOSTILE, hint: 'fix\rit' };
      state.locations.helsinki = { lastFailureAt: new Date().toISOString(), lastError: 'bad\u001b[31mred' };
    });
    const result = await runCli(['status', '-c', site.configFile]);
    expect(result.code).toBe(ExitCode.ok);
    // eslint-disable-next-line no-control-regex -- asserting that none are left
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(result.stdout).toContain('Bad request\\x1b[2J\\x1b[H\\rOK: all fine\\nLast error:   none\\u202e');
    expect(result.stdout).toContain('Fix: fix\\rit');
    expect(result.stdout).toContain('(bad\\x1b[31mred)');
    expect(result.stdout.split('\n').filter((line) => line.startsWith('Last error:'))).toHaveLength(1);
  });
});
