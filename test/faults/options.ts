// Command line of the fault campaign (`npm run faults -- [options]`). Every problem is reported
// with what would be right, like the agent's own CLI.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface CampaignOptions {
  seed: number;
  /** Minutes of fault injection (the final drain and checks come on top). */
  minutes: number;
  /** Path of the agent binary to run instead of `node agent/cli/bin.ts`. */
  binary?: string;
  /** Keep the site folder (config, logs, spool) for inspection instead of removing it. */
  keep: boolean;
}

export const DEFAULT_MINUTES = 3;
export const LONG_MINUTES = 25;
export const DEFAULT_BINARY = 'dist/datapipe-agent-linux-x64';

export const USAGE = `Usage: npm run faults -- [--seed N] [--minutes N | --long] [--binary [PATH]] [--keep]
  --seed N       replay a campaign (the seed is printed at the start of every run)
  --minutes N    minutes of fault injection (default ${DEFAULT_MINUTES}); --long = ${LONG_MINUTES}
  --binary PATH  run the built agent binary (default ${DEFAULT_BINARY}) instead of the sources
  --keep         keep the site folder (config, logs, spool) and print where it is`;

export function parseCampaignArgs(argv: string[]): CampaignOptions {
  // `--binary` alone means the default path: let a following option or the end stand for it.
  const args = argv.flatMap((arg, i) => (arg === '--binary' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--')) ? ['--binary', DEFAULT_BINARY] : [arg]));
  const { values } = parseArgs({
    args,
    options: {
      seed: { type: 'string' },
      minutes: { type: 'string' },
      long: { type: 'boolean', default: false },
      binary: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`--seed must be a whole number from 0 to 4294967295, got "${values.seed}"`);
  if (values.long && values.minutes !== undefined) throw new Error('--long and --minutes cannot be combined; --long means --minutes ' + LONG_MINUTES);
  const minutes = values.long ? LONG_MINUTES : values.minutes === undefined ? DEFAULT_MINUTES : Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes < 0.5 || minutes > 24 * 60) throw new Error(`--minutes must be a number from 0.5 to 1440, got "${values.minutes}"`);
  if (values.binary !== undefined && !existsSync(values.binary)) {
    throw new Error(`--binary: ${values.binary} does not exist; build it with \`npm run build:bin\` or give its path`);
  }
  return { seed, minutes, ...(values.binary === undefined ? {} : { binary: values.binary }), keep: values.keep };
}
