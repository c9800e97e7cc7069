import type { Sighting } from './burst-aggregate.ts';

/*
 * The sliding span of the burst detectors (burst.ts): the most distinct items one principal
 * touched within any span of one window's length that starts in window k and ends in window k+1.
 */

/** The latest sighting of an item in ms (its earliest when the window keeps no latest times). */
export const latestOf = (sighting: Sighting): number => Date.parse(sighting[0]) + (sighting[3] ?? 0);

/** The widest span across a window boundary: its distinct items, in the order first seen within it. */
export interface Span {
  /** First and last call within the span, in ms (both real calls of counted items). */
  first: number;
  last: number;
  /** The counted items: [time seen within the span (ms), item, 1 when every counted call of it failed]. */
  items: [number, string, 0 | 1][];
}

/**
 * The span [t, t + windowMs) holding the most distinct items, `before` being window k and `after`
 * window k+1, both with every item and its latest time (windows that do not fire on their own
 * hold fewer items than the cap). An item of k counts if its latest sighting is >= t, one of k+1
 * if its earliest is < t + windowMs. Moving t up drops items of k only at their latest times and
 * adds items of k+1 all the way, so the best t is one of k's latest times; the earliest best
 * wins. Undefined when no span reaches `threshold`. At most (2 × threshold)² steps.
 */
export function widestSpan(
  before: readonly Sighting[],
  after: readonly Sighting[],
  windowMs: number,
  threshold: number,
): Span | undefined {
  const tail = before.map((s) => [latestOf(s), s[1], s[2]] as const).sort((a, b) => a[0] - b[0]);
  const head = after.map((s) => [Date.parse(s[0]), s[1], s[2], latestOf(s)] as const);
  let best: { start: number; count: number } | undefined;
  let previous = Number.NaN;
  for (const [start] of tail) {
    if (start === previous) continue;
    previous = start;
    const items = new Set<string>();
    for (const [at, item] of tail) if (at >= start) items.add(item);
    for (const [at, item] of head) if (at < start + windowMs) items.add(item);
    if (items.size >= threshold && (!best || items.size > best.count)) best = { start, count: items.size };
  }
  if (!best) return undefined;
  const end = best.start + windowMs;
  const counted = new Map<string, [number, string, 0 | 1]>();
  let last = best.start;
  for (const [at, item, failed] of tail) {
    if (at < best.start) continue;
    counted.set(item, [at, item, failed]);
    last = Math.max(last, at);
  }
  for (const [at, item, failed, latest] of head) {
    if (at >= end) continue;
    const known = counted.get(item);
    counted.set(item, known ? [known[0], item, known[2] && failed ? 1 : 0] : [at, item, failed]);
    last = Math.max(last, latest < end ? latest : at);
  }
  const items = [...counted.values()].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return { first: best.start, last, items };
}
