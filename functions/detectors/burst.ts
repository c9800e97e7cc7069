import { compactText, recordCopy } from '../core/bounded.ts';
import { isFailedCall, type CloudTrailRecord } from '../core/cloudtrail.ts';
import type { CorrelatingDetector, Observation } from '../core/correlation.ts';
import {
  burstPack,
  BYTES,
  bySighting,
  canonicalSightings,
  compare,
  earlierFirst,
  IDENTITY_LIMITS,
  MAX_ITEMS_READ,
  MAX_PERIOD_MS,
  MAX_THRESHOLD,
  MAX_WINDOW_MINUTES,
  PERIOD_WINDOWS,
  principalKey,
  sightingBytes,
  TIME,
  withinBudget,
  type BurstAggregate,
  type BurstOptions,
  type BurstSpec,
  type BurstWindow,
  type FirstCall,
  type Sighting,
} from './burst-aggregate.ts';
import { burstJudge } from './burst-judge.ts';
import { latestOf } from './burst-span.ts';
import { asObject } from './lib.ts';

export * from './burst-aggregate.ts';

/*
 * Burst detectors: one call is normal, many distinct targets by one principal in a short window
 * is the signal (secrets read in bulk, sessions opened on many instances, enumeration). They use
 * the correlation contract: `observe` turns a record into an aggregate, `merge` joins aggregates
 * (a semilattice join), `judge` compares each window of the joined aggregate with the threshold,
 * and each pair of adjacent windows where neither fires on its own with a sliding span.
 *
 * Key: `<principal>#<account>#<period start>`. Windows tumble and are aligned to the epoch; a
 * period is PERIOD_WINDOWS of them (a UTC day for 10-minute windows), aligned the same way. One
 * key per principal per period, not per window: Analyze writes one aggregate per key per work
 * item, and a principal that calls all day would otherwise cost a state write per window
 * (docs/performance.md, "State writes").
 *
 * Aggregate: the identity of the period's earliest call (one copy per key), and per window the
 * window's earliest call (a few capped fields, what a finding shows) and, for each distinct item,
 * its earliest sighting, of those only the `threshold + 1` earliest. Keeping per item the minimum
 * and then the k smallest minima is a join: whatever the order or grouping of the records, the
 * joined aggregate is the same. While a window holds fewer than `threshold + 1` items it also
 * keeps each item's latest sighting (a max, as an offset from the earliest); a window that reaches
 * the cap drops them. Still a join: a window with fewer items than the cap in the whole data had
 * fewer in every part, so no part ever cut an item and every min and max is exact; one that
 * reaches it keeps the cap smallest minima, as before, whose value does not depend on the maxima.
 *
 * Sliding spans: a burst across a window boundary (13:19:59-13:20:00) may stay under the threshold
 * in both windows. For adjacent windows k and k+1 where neither fires on its own, `judge` counts
 * the distinct items in every span [t, t + window) from window k into k+1: an item counts if its
 * latest sighting in k is >= t or its earliest in k+1 is < t + window; the count only changes at
 * a latest sighting of window k, so those are the spans tried (`widestSpan`). The cap loses
 * nothing here: a window that does not fire holds fewer than `threshold` items, all kept with both
 * times. A pair with a window that fires is not judged: that window's finding already reports
 * those calls, so one burst gives one finding.
 *
 * Across periods: the pair (last window of period P-1, first window of P), e.g. across UTC
 * midnight, lies in two keys. Judging P looks up P-1's key (`lookup`) when P's first window holds
 * calls and does not fire; judging P-1 looks up P's key when P-1's last window does the same. Both
 * build the same verdict: the subject names the pair, the record takes P's identity and window's
 * first call, and `identityKey` is P's key, so the finding id is one whichever key is judged, and a
 * late file touching one day only still raises the burst. A period is a whole number of windows
 * aligned to the epoch, so a window never straddles two keys whatever `windowMinutes` (a period is
 * a UTC day only when the windows divide it: 7-minute windows make 1008-minute periods).
 *
 * Bound: every kept field is capped in bytes, so a window costs at most WINDOW_BYTES plus
 * `sightingBytes` per sighting (89 for 10-minute windows). The aggregate keeps the earliest
 * windows whose summed worst-case cost fits WINDOWS_BUDGET; later windows of the period are
 * dropped. The cost only grows when windows are joined, so the kept prefix is the same whatever
 * the grouping (still a join). The cap is met only by a principal touching five or more distinct
 * items in most windows of its day (over the default thresholds of 3 and 5); the rest of that
 * principal's period is then not judged (docs/detector-tuning.md).
 */

/** Builds a burst detector from its spec and the user's options. */
export function burstDetector(spec: BurstSpec, options: BurstOptions): CorrelatingDetector<BurstAggregate> {
  const { threshold, windowMinutes } = options;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_THRESHOLD) {
    throw new RangeError(`${spec.meta.id}: threshold must be an integer from 1 to ${MAX_THRESHOLD}`);
  }
  if (!(windowMinutes > 0 && windowMinutes <= MAX_WINDOW_MINUTES)) {
    throw new RangeError(`${spec.meta.id}: windowMinutes must be above 0 and at most ${MAX_WINDOW_MINUTES}`);
  }
  const cap = threshold + 1;
  const windowMs = windowMinutes * 60_000;
  const sighting = sightingBytes(windowMs);
  // A whole number of windows: a window never straddles two periods, whatever windowMinutes.
  const periodWindows = Math.max(1, Math.min(PERIOD_WINDOWS, Math.floor(MAX_PERIOD_MS / windowMs)));
  const periodMs = windowMs * periodWindows;
  // The detector's events, in a fixed order: a window's first call names its event by index.
  const events = Object.entries(spec.events).flatMap(([source, list]) => list.map((name) => [source, name] as const));
  // Source → name → index: a record costs two lookups and no string building.
  const eventIndex = new Map<unknown, Map<unknown, number>>();
  events.forEach(([source, name], index) => {
    if (!eventIndex.has(source)) eventIndex.set(source, new Map());
    eventIndex.get(source)!.set(name, index);
  });

  const joinWindow = (a: BurstWindow, b: BurstWindow): BurstWindow => ({
    f: compare(a.f, b.f) <= 0 ? a.f : b.f,
    s: canonicalSightings([...a.s, ...b.s], cap),
  });

  /** What a counted record tells before any aggregate is built; undefined when it is not counted. */
  const read = (record: CloudTrailRecord) => {
    const event = eventIndex.get(record.eventSource)?.get(record.eventName);
    if (event === undefined) return undefined;
    if (spec.counts && !spec.counts(record)) return undefined;
    const time = record.eventTime;
    if (typeof time !== 'string' || !TIME.test(time)) return undefined;
    const ms = Date.parse(time);
    if (!Number.isFinite(ms)) return undefined;
    const items = spec.items(asObject(record.requestParameters), record).slice(0, MAX_ITEMS_READ);
    if (items.length === 0) return undefined;
    const period = new Date(Math.floor(ms / periodMs) * periodMs).toISOString();
    return { event, time, ms, items, key: `${principalKey(record)}#${period}` };
  };
  type Call = NonNullable<ReturnType<typeof read>>;
  const text = (value: unknown, bytes: number) => (typeof value === 'string' ? compactText(value, bytes) : '');
  const firstCall = (record: CloudTrailRecord, objectKey: string, { time, event }: Call): FirstCall => [
    time,
    text(record.eventID, BYTES.eventID),
    compactText(objectKey, BYTES.objectKey),
    event,
    text(record.sourceIPAddress, BYTES.address),
    text(record.awsRegion, BYTES.region),
    text(record.userAgent, BYTES.userAgent),
    text(record.errorCode, BYTES.errorCode),
  ];
  const firstOf = (record: CloudTrailRecord, f: FirstCall): BurstAggregate['first'] => ({
    record: { ...identityOf(record), eventTime: f[0], eventID: f[1] },
    objectKey: f[2],
  });
  const sightingsOf = (record: CloudTrailRecord, { ms, items }: Call): Sighting[] => {
    const failed = isFailedCall(record) ? 1 : 0;
    // Sightings keep the time as ISO with milliseconds: one length, ordered as text as in time.
    const iso = new Date(ms).toISOString();
    // One item (the common case) is canonical already: under any cap (2 or more), latest = earliest.
    if (items.length === 1) return [[iso, compactText(items[0]!, BYTES.item), failed, 0]];
    return canonicalSightings(
      items.map((item): Sighting => [iso, compactText(item, BYTES.item), failed, 0]),
      cap,
    );
  };
  const windowOf = (ms: number) => new Date(Math.floor(ms / windowMs) * windowMs).toISOString();
  const observation = (record: CloudTrailRecord, objectKey: string, call: Call): BurstAggregate => {
    const f = firstCall(record, objectKey, call);
    return { first: firstOf(record, f), windows: { [windowOf(call.ms)]: { f, s: sightingsOf(record, call) } } };
  };

  /**
   * Joins a window's first call and sightings into `known` in place (the window is Analyze's own):
   * the common case (an item the window has already, no earlier) changes nothing and allocates
   * nothing. `f` is built only when it may come first. True when the window gained items.
   */
  const joinWindowInto = (known: BurstWindow, f: () => FirstCall, time: string, s: readonly Sighting[]): boolean => {
    if (time <= known.f[0]) {
      const next = f();
      if (compare(next, known.f) < 0) known.f = next;
    }
    // An item the window has with an earlier or equal first sighting: at most its latest time
    // moves, in place, while the window is under its cap.
    const open = known.s.length < cap;
    const dominated = s.every((sighting) => {
      const at = known.s.findIndex((other) => other[1] === sighting[1]);
      const kept = known.s[at];
      if (kept === undefined || bySighting(kept, sighting) > 0) return false;
      const last = open ? latestOf(sighting) : 0;
      if (open && last > latestOf(kept)) known.s[at] = [kept[0], kept[1], kept[2], last - Date.parse(kept[0])];
      return true;
    });
    if (dominated) return false;
    const before = known.s.length;
    known.s = canonicalSightings([...known.s, ...s], cap);
    return known.s.length > before;
  };

  return {
    kind: 'correlating',
    meta: spec.meta,
    events: spec.events,
    pack: burstPack,
    observe(record, objectKey): readonly Observation<BurstAggregate>[] | undefined {
      const call = read(record);
      if (call === undefined) return undefined;
      return [{ key: call.key, aggregate: observation(record, objectKey, call) }];
    },
    merge(a, b) {
      if (a === b) return a;
      const windows: Record<string, BurstWindow> = { ...a.windows };
      for (const start in b.windows) {
        const known = windows[start];
        windows[start] = known ? joinWindow(known, b.windows[start]!) : b.windows[start]!;
      }
      return { first: earlierFirst(a.first, b.first), windows: withinBudget(windows, sighting) };
    },
    accumulate(into, observation) {
      // Analyze's per-record path when a record's observation is built (see observeInto).
      into.first = earlierFirst(into.first, observation.first);
      let grew = false;
      for (const start in observation.windows) {
        const next = observation.windows[start]!;
        const known = into.windows[start];
        if (!known) {
          into.windows[start] = next;
          grew = true;
        } else if (joinWindowInto(known, () => next.f, next.f[0], next.s)) grew = true;
      }
      if (grew) into.windows = withinBudget(into.windows, sighting);
      return into;
    },
    observeInto(record, objectKey, joined) {
      // As observe and accumulate, without the record's aggregate: its identity copy and first
      // call are built only when they may come first.
      const call = read(record);
      if (call === undefined) return;
      const into = joined.get(call.key);
      if (into === undefined) {
        joined.set(call.key, observation(record, objectKey, call));
        return;
      }
      const time = call.time;
      let f: FirstCall | undefined;
      const first = () => (f ??= firstCall(record, objectKey, call));
      const kept = into.first;
      if (time <= (kept.record.eventTime ?? '')) into.first = earlierFirst(kept, firstOf(record, first()));
      const start = windowOf(call.ms);
      const known = into.windows[start];
      let grew: boolean;
      if (known) grew = joinWindowInto(known, first, time, sightingsOf(record, call));
      else {
        into.windows[start] = { f: first(), s: sightingsOf(record, call) };
        grew = true;
      }
      if (grew) into.windows = withinBudget(into.windows, sighting);
    },
    judge: burstJudge({ spec, threshold, cap, windowMs, windowMinutes, periodMs, periodWindows, events }),
  };
}

/** Who called: an identity-only, bounded copy of the record. */
function identityOf(record: CloudTrailRecord): CloudTrailRecord {
  return recordCopy(record, IDENTITY_LIMITS);
}

/** Strings of an array field, or the field itself when it is one string. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  if (!Array.isArray(value)) return [];
  return value.slice(0, MAX_ITEMS_READ).filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}

// Instance ids match case-insensitively, like the workshop's rule: anonymised datasets (Stratus
// detonation logs) scramble them into mixed case.
const INSTANCE_SESSION = /\/i-[0-9a-f]{8,17}$/i;

/** Whether the caller is an EC2 instance role session (assumed-role ARN ending in an instance id). */
export function isInstanceSession(record: CloudTrailRecord): boolean {
  const arn = record.userIdentity?.arn;
  return record.userIdentity?.type === 'AssumedRole' && typeof arn === 'string' && INSTANCE_SESSION.test(arn);
}
