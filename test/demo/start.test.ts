// `npm start` without internet: after the first failed cycle the demo says plainly that the live
// API is unreachable and names `npm run start:offline`. "Live" here is a closed loopback port
// (DATAPIPE_DEMO_OPEN_METEO_URL), so no test reaches the internet.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.ts';
import { offlineHint } from './start.ts';

describe('npm start without internet', () => {
  const tempDir = useTempDirs();

  it('says after the first failed cycle that the live API is unreachable and how to run offline', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'start.ts')], {
      env: { ...process.env, DATAPIPE_DEMO_DIR: join(dir, '.demo'), DATAPIPE_DEMO_OPEN_METEO_URL: 'http://127.0.0.1:9/v1/forecast' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const sawHint = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('npm run start:offline   (Ctrl+C')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await Promise.race([sawHint, exited]);
    child.kill('SIGINT');
    await exited;
    expect(stdout).toMatch(/The live Open-Meteo API cannot be reached from this machine \(network: .+\)\./);
    expect(stdout).toContain('Run the same demo without internet instead: npm run start:offline');
  }, 60_000);

  it.each([
    [{ lastError: { component: 'open-meteo', errorClass: 'timeout', message: 'no answer' } }, true],
    [{ lastError: { component: 'open-meteo', errorClass: 'bad-request', message: 'bad variable' } }, false],
    [{ lastError: { component: 's3', errorClass: 'NetworkError', message: 'refused' } }, false],
    [undefined, false],
  ])('only an Open-Meteo network or timeout error gets the hint: %j', (state, expected) => {
    expect(offlineHint(state) !== undefined).toBe(expected);
  });
});
