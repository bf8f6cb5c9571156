// Turns the figures into Markdown: one section per benchmark, each self-contained (when and how
// it was measured, the table, the goals, what limits the figures), between markers so that
// `--only <section>` replaces its own section in docs/performance.md and keeps the others.
import type { DrainFigures, DrainRun, DrainTool } from './drain.ts';
import type { FootprintFigures } from './footprint.ts';
import { formatNumber, formatSummary, summarise } from './stats.ts';
import type { SteadyFigures } from './steady.ts';
import { explainDrain, explainFootprint, explainSteady } from './explain.ts';

export type SectionName = 'drain' | 'steady' | 'footprint' | 'budget';
export const SECTION_NAMES: SectionName[] = ['drain', 'steady', 'footprint', 'budget'];

export interface RunContext {
  command: string;
  at: Date;
  machine: string;
}

const TOOL_LABELS: Record<DrainTool, string> = {
  rclone: '`rclone copy --transfers 32`',
  aws: '`aws s3 cp --recursive`',
  agent: '`datapipe-agent drain`',
};

export function heading(context: RunContext, what: string): string {
  return `_Measured ${context.at.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`${context.command}\` on ${context.machine}; ${what}._`;
}

function verdict(met: boolean): string {
  return met ? '**met**' : '**not met**';
}

export function renderDrain(figures: DrainFigures, context: RunContext): string {
  const byTool = (tool: DrainTool) => figures.runs.filter((run) => run.tool === tool && !run.failure);
  const ratios = (tool: DrainTool) => perRoundRatios(figures.runs, tool);
  const rows = (['agent', 'aws', 'rclone'] as DrainTool[]).filter((tool) => !figures.skipped[tool]).map((tool) => {
    const ok = byTool(tool);
    const failed = figures.runs.filter((run) => run.tool === tool && run.failure).length;
    const requestsPerRecord = summarise(ok.map((run) => run.requests / run.records));
    return `| ${TOOL_LABELS[tool]} | ${formatSummary(summarise(ok.map((run) => run.recordsPerSecond)))} | ` +
      `${tool === 'rclone' ? '1 (reference)' : formatSummary(summarise(ratios(tool)), 'x')} | ${formatSummary(requestsPerRecord)} | ` +
      `${describeMethods(ok)} | ${formatSummary(summarise(ok.map((run) => run.wallMs / 1000)), 's')} | ${ok.length}/${ok.length + failed} |`;
  });
  const agentRatio = summarise(ratios('agent')).median;
  const agentRequests = summarise(byTool('agent').map((run) => run.requests / run.records)).median;
  const failures = figures.runs.filter((run) => run.failure).map((run) => `- ${run.tool} round ${run.round}: ${run.failure}`);
  return [
    '## 1. Backlog drain',
    '',
    heading(context, `${figures.files.toLocaleString('en-US')} one-record cycle files, ${figures.rounds} round(s), clients interleaved`),
    '',
    '| client | records/s, median (min–max) | vs rclone, median of per-round ratios | S3 requests per record | requests by method (one run) | wall time | runs complete |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Goals: at least 5x rclone's records/second: ${verdict(agentRatio >= 5)} (${formatNumber(agentRatio)}x); ` +
      `at most 1 request per 500 records (0.002): ${verdict(agentRequests <= 1 / 500)} (${formatNumber(agentRequests)}).`,
    '',
    ...Object.entries(figures.skipped).map(([tool, why]) => `- ${tool} skipped: ${why}`),
    ...(failures.length > 0 ? ['Runs that did not deliver every record exactly once (left out of the figures):', ...failures, ''] : []),
    'Versions: ' + (Object.entries(figures.versions) as [DrainTool, string][]).map(([tool, version]) => `${tool}: ${version}`).join('; ') + '.',
    '',
    explainDrain(figures),
  ].join('\n');
}

/** The tool's records/s divided by rclone's in the same round: robust to the machine's drift. */
function perRoundRatios(runs: DrainRun[], tool: DrainTool): number[] {
  const ratios: number[] = [];
  for (const run of runs.filter((r) => r.tool === tool && !r.failure)) {
    const reference = runs.find((r) => r.tool === 'rclone' && r.round === run.round && !r.failure);
    if (reference) ratios.push(run.recordsPerSecond / reference.recordsPerSecond);
  }
  return ratios;
}

function describeMethods(runs: DrainRun[]): string {
  const first = runs[0];
  if (!first) return 'n/a';
  return Object.entries(first.requestsByMethod).sort().map(([method, count]) => `${method} ${count.toLocaleString('en-US')}`).join(', ');
}

export function renderSteady(figures: SteadyFigures, context: RunContext): string {
  const rows = figures.locationCounts.map((locations) => {
    const ok = figures.runs.filter((run) => run.locations === locations && !run.failure);
    const pick = (value: (run: SteadyFigures['runs'][number]) => number, unit = '') => formatSummary(summarise(ok.map(value)), unit);
    return `| ${locations.toLocaleString('en-US')} | ${pick((r) => r.s3Requests)} | ${pick((r) => r.openMeteoRequests)} | ` +
      `${pick((r) => r.cycleMs, 'ms')} | ${pick((r) => r.processMs, 'ms')} | ${pick((r) => r.peakRssMb, 'MB')} | ${ok.length}/${figures.rounds} |`;
  });
  const ok = figures.runs.filter((run) => !run.failure);
  const s3Met = ok.length > 0 && ok.every((run) => run.s3Requests === 1);
  const openMeteoMet = ok.length > 0 && ok.every((run) => run.openMeteoRequests <= Math.ceil(run.locations / 1000));
  const failures = figures.runs.filter((run) => run.failure).map((run) => `- ${run.locations} locations round ${run.round}: ${run.failure}`);
  return [
    '## 2. Steady state',
    '',
    heading(context, `\`once\` as a child process (agent from source), ${figures.rounds} round(s) per location count`),
    '',
    '| locations | S3 requests per cycle | Open-Meteo requests per cycle | cycle time (status.json) | process wall time | peak RSS | runs complete |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Goals: 1 S3 request per cycle: ${verdict(s3Met)}; 1 Open-Meteo request per 1,000 locations: ${verdict(openMeteoMet)}.`,
    '',
    ...(failures.length > 0 ? ['Runs that failed (left out of the figures):', ...failures, ''] : []),
    explainSteady(figures),
  ].join('\n');
}

export function renderFootprint(figures: FootprintFigures, context: RunContext): string {
  const floor = figures.startup.find((row) => row.label.startsWith('node -e 0'))?.ms.median ?? Number.NaN;
  const rows = figures.startup.map((row) =>
    `| ${row.reference ? row.label : `**${row.label}**`} | ${formatSummary(row.ms, 'ms')} | ${formatNumber(row.ms.median / floor)}x |`);
  const agentRows = figures.startup.filter((row) => !row.reference);
  const startupMet = agentRows.length > 0 && agentRows.every((row) => row.ms.median < 120);
  const idle = figures.idle;
  const subject = figures.subject === 'binary' ? '`dist/datapipe-agent-linux-x64`' : 'the agent from source (**binary not built**: run `npm run build:bin`)';
  return [
    '## 3. Footprint',
    '',
    heading(context, `${subject}; start-up: ${figures.startupRuns} runs per command after 2 warm-up runs, interleaved` +
      (idle ? `; idle: ${idle.minutes} minute(s) after the first cycle of \`run\` (10 locations, the cycle \`run\` makes at start; retry schedule every 5 minutes, no other cycle)` : '')),
    '',
    `Binary size: ${figures.binaryBytes === undefined ? 'not built' : `${(figures.binaryBytes / 1024 / 1024).toFixed(1)} MB`}.`,
    '',
    '| start-up of | wall time, median (min–max) | vs `node -e 0` |',
    '|---|---|---|',
    ...rows,
    '',
    idle
      ? `| \`run\`, idle | value |\n|---|---|\n| first cycle (10 locations) | ${Math.round(idle.firstCycleMs)} ms |\n` +
        `| RSS after the first cycle | ${idle.rssAfterFirstCycleMb.toFixed(1)} MB |\n| RSS at the end of the idle window | ${idle.rssAtEndMb.toFixed(1)} MB |\n` +
        `| CPU while idle (${idle.minutes} min, ${idle.retryPasses} retry pass(es); the agent process's scheduler run time) | ${idle.cpuPercentOfOneCore.toFixed(3)} % of one core |\n` +
        `| the same from utime + stime (10 ms ticks, the method before issue 10) | ${idle.cpuPercentFromTicks.toFixed(3)} % of one core |\n` +
        `| CPU by minute of the idle window | ${idle.cpuSecondsByMinute.map((value) => value.toFixed(3)).join(', ')} s |\n` +
        `| CPU of start-up and the first cycle (outside the window, for scale) | ${idle.cpuSecondsUntilIdle.toFixed(2)} s |`
      : `Idle figures: not measured (${figures.idleFailure ?? 'skipped'}).`,
    '',
    `Goals${figures.subject === 'binary' ? '' : ' (they concern the binary; these are source figures)'}: start-up under 120 ms: ${verdict(startupMet)}; ` +
      `idle RSS under 70 MB: ${idle ? verdict(idle.rssAfterFirstCycleMb < 70) : 'n/a'}; ` +
      `idle CPU under 0.2% of one core: ${idle ? `${verdict(idle.cpuPercentOfOneCore < 0.2)}${idle.minutes < 10 ? ` (over ${idle.minutes} min, not the goal's 10: use \`--idle-minutes 10\`)` : ''}` : 'n/a'}.`,
    '',
    explainFootprint(figures),
  ].join('\n');
}

const marker = (name: SectionName, edge: 'start' | 'end') => `<!-- bench:${name}:${edge} -->`;

/** Hand-written analysis after the measured sections starts with this line; the bench keeps it as it is. */
export const NOTES_MARKER = '<!-- notes: written by hand, kept by npm run bench -->';

/** The whole document: new sections replace their old text; sections not run this time are kept, and so are the notes. */
export function mergeDocument(previous: string | undefined, sections: Partial<Record<SectionName, string>>, intro: string): string {
  const parts = SECTION_NAMES.map((name) => {
    const fresh = sections[name];
    const old = previous ? extractSection(previous, name) : undefined;
    const body = fresh ?? old ?? `## ${name}\n\n_Not measured yet: \`npm run bench -- --only ${name}\`._`;
    return `${marker(name, 'start')}\n${body.trim()}\n${marker(name, 'end')}`;
  });
  const notesAt = previous?.indexOf(NOTES_MARKER) ?? -1;
  const notes = previous && notesAt >= 0 ? `\n${previous.slice(notesAt).trim()}\n` : '';
  return `${intro.trim()}\n\n${parts.join('\n\n')}\n${notes}`;
}

function extractSection(document: string, name: SectionName): string | undefined {
  const start = document.indexOf(marker(name, 'start'));
  const end = document.indexOf(marker(name, 'end'));
  if (start < 0 || end < start) return undefined;
  return document.slice(start + marker(name, 'start').length, end);
}
