import type { Rng } from './prng.ts';

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with every object's and Map's keys sorted: equal aggregates give equal text, whatever
 * order their keys were added in.
 */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v) =>
    v instanceof Map
      ? Object.fromEntries([...v].sort(byKey))
      : v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(byKey))
        : v,
  );

/** Splits `records` into `parts` work items at random points (some may be empty). */
export function randomSplits<T>(rng: Rng, records: readonly T[], parts: number): T[][] {
  const cuts = Array.from({ length: parts - 1 }, () => rng.int(0, records.length)).sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const cut of [...cuts, records.length]) {
    out.push(records.slice(from, cut));
    from = cut;
  }
  return out;
}
