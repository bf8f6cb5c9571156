// Small statistics for benchmark samples: the machine is shared and noisy, so every figure is
// reported as the median of several runs with the min and max beside it, never as one number.

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarise(samples: number[]): Summary {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs: sorted.length };
}

/** A number with a sensible number of significant digits for a table. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude === 0) return '0';
  return value.toPrecision(2);
}

/** `median (min–max)`; a single run prints just its value. */
export function formatSummary(summary: Summary, unit = ''): string {
  if (summary.runs === 0) return 'n/a';
  const suffix = unit ? ` ${unit}` : '';
  if (summary.runs === 1 || summary.min === summary.max) return `${formatNumber(summary.median)}${suffix}`;
  return `${formatNumber(summary.median)}${suffix} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}
