// `support-bundle`: writes one zip for support staff (see agent/support/bundle.ts for what is in
// it) and prints where. Works with an invalid config too. Exit 2 for a bad --days, 1 when the
// zip cannot be written.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { compactUtc } from '../../envelope/records.ts';
import type { ServiceStatus } from '../../service/types.ts';
import { buildBundleEntries } from '../../support/bundle.ts';
import { writeZip } from '../../support/zip.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { writeOut, writeErr } from '../terminal.ts';

export async function runSupportBundle(configFile: string, options: { output?: string; days: number }): Promise<ExitCodeValue> {
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 366) {
    writeErr('--days must be a whole number of days from 1 to 366, e.g. --days 7\n');
    return ExitCode.invalidConfig;
  }
  const now = new Date();
  const output = resolve(options.output ?? `datapipe-support-${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${compactUtc(now)}.zip`);
  const entries = await buildBundleEntries(configFile, { days: options.days, now, queryService: queryServiceStatus });
  try {
    await writeZip(output, entries, now);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    writeErr(`Could not write the support bundle to ${output} (${code}); choose a writable place with -o <file.zip>.\n`);
    return ExitCode.failed;
  }
  writeOut(`Support bundle written: ${output} (${entries.length} files). Send it to support; secrets in it are masked.\n`);
  return ExitCode.ok;
}

async function queryServiceStatus(): Promise<ServiceStatus> {
  const service = await import('../../service/index.ts');
  return service.queryServiceStatus();
}
