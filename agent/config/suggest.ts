// "Did you mean ...?" for unknown section and key names: typos must be errors, and the error
// should name the fix.

/** The closest of `known` to `name` if it is close enough to be a likely typo, else undefined. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  // `timeout` for `timeout_seconds`: the unit suffix is what people leave out.
  const extended = known.find((candidate) => candidate.toLowerCase().startsWith(`${wanted}_`));
  if (extended) return extended;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(best.name.length / 3));
  return best.distance <= allowed ? best.name : undefined;
}

/** "did you mean 'x'?" when there is a close name, else the list of known names. */
export function describeAlternatives(name: string, known: readonly string[], noun: string): string {
  const closest = closestName(name, known);
  if (closest) return `did you mean '${closest}'?`;
  return `known ${noun}: ${known.join(', ')}`;
}

/** Levenshtein distance; names here are short, so the simple two-row version is plenty. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
