// Proves that `--version`, `--help` and `validate` start without evaluating the AWS SDK (its
// evaluation is most of the agent's ~170 ms start-up). A probe bundle is built with exactly the
// production settings plus one marker line at the top of every @aws-sdk / @smithy module; the
// probe runs the fast commands and reports at exit whether any marker ran. Because esbuild
// decides laziness the same way for both bundles, a clean probe means a lazy product.
import type { Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleAgent } from '../build-bundle.ts';

const SDK_MODULE = /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/].*\.(c|m)?js$/;
const MARKER = 'EVALUATED_AWS_SDK_MODULES';

const markSdkModules: Plugin = {
  name: 'mark-aws-sdk-modules',
  setup(build) {
    build.onLoad({ filter: SDK_MODULE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const marker = `(globalThis.__sdkEvaluated ??= []).push(${JSON.stringify(args.path)});\n`;
      return { contents: marker + source, loader: 'js' };
    });
  },
};

const reportAtExit = `process.on('exit', () => { const seen = globalThis.__sdkEvaluated ?? [];
  process.stderr.write('${MARKER} ' + seen.length + (seen.length ? ' first: ' + seen[0] : '') + '\\n'); });`;

/** Throws if any of the fast commands evaluates an AWS SDK module. */
export async function assertAwsSdkStaysLazy(root: string, workDir: string): Promise<void> {
  const probe = await bundleAgent({ outfile: join(workDir, 'lazy-probe.cjs'), plugins: [markSdkModules], extraBanner: reportAtExit });
  const commands = [['--version'], ['--help'], ['validate', '-c', join(root, 'config.example.ini')]];
  for (const args of commands) {
    const result = spawnSync(process.execPath, [probe, ...args], { cwd: workDir, encoding: 'utf8' });
    const report = result.stderr.split('\n').find((line) => line.startsWith(MARKER));
    if (result.status !== 0 || !report) {
      throw new Error(`lazy check: the probe bundle failed on '${args.join(' ')}' (exit ${result.status}): ${result.stderr.trim()}`);
    }
    if (!report.startsWith(`${MARKER} 0`)) {
      throw new Error(`lazy check: '${args.join(' ')}' evaluates the AWS SDK (${report.slice(MARKER.length + 1)}). `
        + 'Some module on its path imports sinks/s3 or agent/net statically; make that import a dynamic import().');
    }
  }
}
