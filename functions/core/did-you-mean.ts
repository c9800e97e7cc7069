/** "Did you mean ...?" for option values, detector ids and config keys typed by people. */

/** The candidate closest to `value` by edit distance, if it is close enough to be a typo. */
export function didYouMean(value: string, candidates: readonly string[]): string | undefined {
  // Typed by a person: a longer value is no typo, and would cost length x length to compare.
  if (value.length > 200) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A third of the longer word, at least 2: `scheduleMinute` -> `scheduleMinutes`, not `stackName`.
  const allowed = best === undefined ? 0 : Math.max(2, Math.floor(Math.max(value.length, best.length) / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance, with one row of memory. Inputs are option names and ids: short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
