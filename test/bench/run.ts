// `npm run bench`: measures the agent against aws-cli and rclone on a local S3 server, and its
// steady state and footprint; prints each section's table and writes docs/performance.md.
// A measuring program, not a test: nothing fails because the machine is slow. The exit code is
// 1 only if a benchmark could not run or a run lost or duplicated records, 2 for a bad option.
//
//   npm run bench                          full run (10,000 files, 3 rounds, 10 idle minutes)
//   npm run bench -- --quick               a few minutes: 2,000 files, 2 rounds, 1 idle minute
//   npm run bench -- --only drain          one section (drain | steady | footprint | budget; comma list)
//   options: --files N  --rounds N  --idle-minutes N  --startup-runs N  --out FILE  --no-write
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBudget, renderBudget } from './budget.ts';
import { benchDrain } from './drain.ts';
import { benchFootprint } from './footprint.ts';
import { heading, mergeDocument, renderDrain, renderFootprint, renderSteady, SECTION_NAMES, type RunContext, type SectionName } from './report.ts';
import { benchSteady } from './steady.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchOptions {
  sections: SectionName[];
  quick: boolean;
  files: number;
  rounds: number;
  idleMinutes: number;
  startupRuns: number;
  out: string;
  write: boolean;
}

class UsageError extends Error {}

function positive(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${text}"`);
  }
  return value;
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' }, quick: { type: 'boolean', default: false }, files: { type: 'string' }, rounds: { type: 'string' },
      'idle-minutes': { type: 'string' }, 'startup-runs': { type: 'string' }, out: { type: 'string' }, 'no-write': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const sections = values.only === undefined ? SECTION_NAMES : values.only.split(',').map((name) => name.trim());
  for (const name of sections) {
    if (!SECTION_NAMES.includes(name as SectionName)) throw new UsageError(`--only takes ${SECTION_NAMES.join(', ')} (or a comma list of them), got "${name}"`);
  }
  const quick = values.quick === true;
  return {
    sections: sections as SectionName[],
    quick,
    files: positive('files', values.files, quick ? 2_000 : 10_000),
    rounds: positive('rounds', values.rounds, quick ? 2 : 3),
    idleMinutes: positive('idle-minutes', values['idle-minutes'], quick ? 1 : 10, false),
    startupRuns: positive('startup-runs', values['startup-runs'], quick ? 5 : 15),
    out: resolve(values.out ?? join(ROOT, 'docs', 'performance.md')),
    write: values['no-write'] !== true,
  };
}

function describeMachine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, ` +
    `load average ${loadavg().map((n) => n.toFixed(2)).join('/')} at the start`;
}

const INTRO = `# Performance

Produced by \`npm run bench\` (\`test/bench/run.ts\`): every figure below is measured, in one run, on this
project's machine against the local S3-protocol server (\`test/helpers/s3-server.ts\`) and the
Open-Meteo stand-in. Re-run it to refresh this file; \`--only drain|steady|footprint\` refreshes one
section and keeps the others, \`--quick\` takes a few minutes (fewer files, rounds and idle minutes),
\`--idle-minutes N\`, \`--files N\`, \`--rounds N\`, \`--startup-runs N\` override the defaults.

The machine is shared and noisy (2 cores, other work running): every figure is the median of
several runs with min and max beside it, and each is set beside a reference measured in the same run
(rclone for drains, \`/bin/true\` and \`node -e 0\` for start-up). Goals are reported, never enforced:
nothing here fails because a machine is slow, and none of it runs in the test suite.`;

async function runSection(name: SectionName, options: BenchOptions, context: RunContext, log: (line: string) => void): Promise<{ markdown: string; defects: number }> {
  if (name === 'drain') {
    const figures = await benchDrain({ files: options.files, rounds: options.rounds }, log);
    return { markdown: renderDrain(figures, context), defects: figures.runs.filter((run) => run.failure).length };
  }
  if (name === 'budget') {
    const figures = await benchBudget(log);
    const paced = figures.days.find((day) => day.mode === 'paced');
    const markdown = renderBudget(figures, heading(context, 'Open-Meteo stand-in with the free API\'s limits, simulated clock'));
    return { markdown, defects: paced && paced.throttled === 0 && paced.observations === paced.expected ? 0 : 1 };
  }
  if (name === 'steady') {
    const figures = await benchSteady({ locationCounts: [10, 100, 1000], rounds: options.rounds }, log);
    return { markdown: renderSteady(figures, context), defects: figures.runs.filter((run) => run.failure).length };
  }
  const figures = await benchFootprint({ startupRuns: options.startupRuns, idleMinutes: options.idleMinutes }, log);
  return { markdown: renderFootprint(figures, context), defects: 0 };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n(run: npm run bench -- [--quick] [--only drain|steady|footprint|budget] [--files N] [--rounds N] [--idle-minutes N] [--startup-runs N] [--out FILE] [--no-write])`);
    return 2;
  }
  const argv = process.argv.slice(2).join(' ');
  const context: RunContext = { command: `npm run bench${argv ? ` -- ${argv}` : ''}`, at: new Date(), machine: describeMachine() };
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const sections: Partial<Record<SectionName, string>> = {};
  let problems = 0;
  for (const name of options.sections) {
    try {
      const result = await runSection(name, options, context, log);
      sections[name] = result.markdown;
      problems += result.defects;
      console.log(`\n${result.markdown}\n`);
    } catch (error) {
      problems += 1;
      console.error(`bench: the ${name} section could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (options.write && Object.keys(sections).length > 0) {
    const previous = await readFile(options.out, 'utf8').catch(() => undefined);
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, mergeDocument(previous, sections, INTRO));
    console.log(`Wrote ${options.out}`);
  }
  if (problems > 0) console.error(`bench: ${problems} run(s) failed or lost records; see above.`);
  return problems > 0 ? 1 : 0;
}

if (import.meta.main) {
  main().then((code) => process.exit(code), (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  });
}
