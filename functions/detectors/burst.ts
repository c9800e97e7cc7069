import { compactText, recordCopy } from '../core/bounded.ts';
import { isFailedCall, principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  bucketOf,
  MAX_AGGREGATE_BYTES,
  type CorrelatingDetector,
  type Observation,
  type Verdict,
} from '../core/correlation.ts';
import { latestOf, widestSpan } from './burst-span.ts';
import { asObject, lowerSeverity, type EventsBySource, type Json } from './lib.ts';
import type { DetectorMetadata } from './types.ts';

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

/**
 * One item of a window: [earliest eventTime (ISO, milliseconds), item, 1 when that call failed
 * else 0, latest eventTime less the earliest in ms (kept only while the window is under its cap)].
 */
export type Sighting = [string, string, 0 | 1, number?];

/**
 * A window's earliest call, by these fields in order: [eventTime, eventID, object key, index of
 * its event in the detector's event list, sourceIPAddress, awsRegion, userAgent, errorCode].
 */
export type FirstCall = [string, string, string, number, string, string, string, string];

/** One window of a burst key. */
export interface BurstWindow {
  f: FirstCall;
  s: Sighting[];
}

/** A burst key's aggregate; see the comment at the top of this file. */
export interface BurstAggregate {
  /** The period's earliest call: who made it (an identity-only copy, with its time and eventID) and its object key. */
  first: { record: CloudTrailRecord; objectKey: string };
  /** Window start (ISO) → the window; only the earliest windows within the budget. */
  windows: Record<string, BurstWindow>;
}

/** What a user tunes on a burst detector. */
export interface BurstOptions {
  /** Distinct items one principal must touch within one window for a finding. */
  threshold: number;
  /** Span length in minutes, at most a day (windows aligned to the epoch, and any span across two). */
  windowMinutes: number;
}

/** How one burst detector reads records. */
export interface BurstSpec {
  meta: DetectorMetadata;
  events: EventsBySource;
  /** The items a record contributes (secret names, instance ids, API names); empty = not counted. */
  items(params: Json | undefined, record: CloudTrailRecord): readonly string[];
  /** Whose calls count; all principals when omitted. */
  counts?(record: CloudTrailRecord): boolean;
  /** Plural noun for the reason: `secrets`, `instances`. */
  noun: string;
  /** Verb phrase for the reason: `read`, `opened sessions on`. */
  verb: string;
}

/** Packs per account and period: a work item writes this many items per account and day at most. */
export const BURST_PACKS = 4;

/**
 * The pack of a burst key (see `CorrelatingDetector.pack`): `<account>#<period>#<n>`, n the
 * principal's bucket, so a work item writes a few items per account and day, not one per principal.
 */
export function burstPack(key: string): string {
  const periodAt = key.lastIndexOf('#');
  const accountAt = key.lastIndexOf('#', periodAt - 1);
  return `${key.slice(accountAt + 1)}#${bucketOf(key.slice(0, Math.max(0, accountAt)), BURST_PACKS)}`;
}

/** Windows per key: a UTC day of 10-minute windows. */
export const PERIOD_WINDOWS = 144;
/** Longest period, so a key never outlives the aggregates' retention by much. */
const MAX_PERIOD_MS = 24 * 3_600_000;

// Bounds against attacker-shaped records: items read from one record, bytes kept per field.
const MAX_ITEMS_READ = 1000;
const MAX_THRESHOLD = 100;
/** Longest window: a period holds at least one, and a latest-sighting offset stays under 9 digits. */
const MAX_WINDOW_MINUTES = 1440;
const MAX_PRINCIPAL_CHARS = 512;
const BYTES = { item: 48, eventID: 40, objectKey: 160, address: 40, region: 16, userAgent: 48, errorCode: 32 };
// The identity's known fields only: no JSON walk of the whole identity per observed record.
const IDENTITY_LIMITS = { identityOnly: true, fieldBytes: 128 } as const;
/** Worst-case JSON bytes of one window without its sightings, and of one sighting (tested). */
export const WINDOW_BYTES = 440;
export const SIGHTING_BYTES = 92;
/**
 * Worst-case JSON bytes of one sighting in windows of `windowMs`: 82 with the time and item, plus
 * the latest-time offset (a comma and its digits, under windowMs): 89 for 10-minute windows.
 */
export const sightingBytes = (windowMs: number): number => 83 + String(Math.max(0, Math.ceil(windowMs) - 1)).length;
/** What the windows may cost: the aggregate limit less the identity copy (at most ~2.6 KB) and slack. */
export const WINDOWS_BUDGET = MAX_AGGREGATE_BYTES - 4096 - 512;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function compare(a: readonly (string | number | undefined)[], b: typeof a, length = a.length): number {
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A sighting's order: earliest time, item, failed flag (never the offset). */
const bySighting = (a: Sighting, b: Sighting) => compare(a, b, 3);

/**
 * The canonical form of a window's items: per item the earliest sighting and the latest time;
 * then, when there are `cap` items or more, the `cap` earliest without their latest times, else
 * all of them with it; sorted. A join (see the comment at the top of this file).
 */
export function canonicalSightings(sightings: Iterable<Sighting>, cap: number): Sighting[] {
  const best = new Map<string, Sighting>();
  const latest = new Map<string, number>();
  for (const sighting of sightings) {
    const item = sighting[1];
    const known = best.get(item);
    if (!known || bySighting(sighting, known) < 0) best.set(item, sighting);
    const last = latestOf(sighting);
    if (!((latest.get(item) ?? Number.NEGATIVE_INFINITY) >= last)) latest.set(item, last);
  }
  const sorted = [...best.values()].sort(bySighting);
  if (sorted.length >= cap) return sorted.slice(0, cap).map(([time, item, failed]): Sighting => [time, item, failed]);
  return sorted.map(([time, item, failed]): Sighting => [time, item, failed, latest.get(item)! - Date.parse(time)]);
}

/**
 * The earlier of two records with their object keys, by (eventTime, eventID, object key), then by
 * content (only on a full tie, which a real trail never has): a total order, cheap per record.
 */
export function earlierFirst<F extends { record: CloudTrailRecord; objectKey: string }>(a: F, b: F): F {
  const head = compare(
    [a.record.eventTime ?? '', a.record.eventID ?? '', a.objectKey],
    [b.record.eventTime ?? '', b.record.eventID ?? '', b.objectKey],
  );
  if (head !== 0) return head < 0 ? a : b;
  return JSON.stringify(a.record) <= JSON.stringify(b.record) ? a : b;
}

/** Start of the tumbling window holding `eventTime`, as ISO text; undefined for an unreadable time. */
export function windowStart(eventTime: unknown, windowMinutes: number): string | undefined {
  if (typeof eventTime !== 'string') return undefined;
  const time = Date.parse(eventTime);
  if (!Number.isFinite(time)) return undefined;
  const width = windowMinutes * 60_000;
  return new Date(Math.floor(time / width) * width).toISOString();
}

/** The principal and account a record's key starts with. */
export function principalKey(record: CloudTrailRecord): string {
  const account = typeof record.recipientAccountId === 'string' ? record.recipientAccountId : '?';
  const principal = principalOf(record);
  const cut = principal.length > MAX_PRINCIPAL_CHARS ? `${principal.slice(0, MAX_PRINCIPAL_CHARS)}…` : principal;
  return `${cut}#${account}`;
}

/**
 * The earliest windows whose summed worst-case cost (WINDOW_BYTES plus `sighting` bytes per
 * sighting: it only grows when windows are joined) fits the budget; the same object when all fit.
 */
function withinBudget(windows: Record<string, BurstWindow>, sighting: number): Record<string, BurstWindow> {
  const windowCost = (window: BurstWindow) => WINDOW_BYTES + window.s.length * sighting;
  let total = 0;
  for (const start in windows) total += windowCost(windows[start]!);
  if (total <= WINDOWS_BUDGET) return windows;
  const kept: Record<string, BurstWindow> = {};
  total = 0;
  for (const start of Object.keys(windows).sort()) {
    total += windowCost(windows[start]!);
    if (total > WINDOWS_BUDGET) break;
    kept[start] = windows[start]!;
  }
  return kept;
}

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
  /** A period's start as its key writes it (the same arithmetic as `observe`). */
  const periodStart = (index: number) => new Date(index * periodMs).toISOString();
  /** A window's index since the epoch (rounded: ISO text keeps whole milliseconds). */
  const windowIndex = (start: string) => Math.round(Date.parse(start) / windowMs);
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

  return {
    kind: 'correlating',
    meta: spec.meta,
    events: spec.events,
    pack: burstPack,
    observe(record, objectKey): readonly Observation<BurstAggregate>[] | undefined {
      const event = eventIndex.get(record.eventSource)?.get(record.eventName);
      if (event === undefined) return undefined;
      if (spec.counts && !spec.counts(record)) return undefined;
      const time = record.eventTime;
      if (typeof time !== 'string' || !TIME.test(time)) return undefined;
      const ms = Date.parse(time);
      if (!Number.isFinite(ms)) return undefined;
      const items = spec.items(asObject(record.requestParameters), record).slice(0, MAX_ITEMS_READ);
      if (items.length === 0) return undefined;
      const failed = isFailedCall(record) ? 1 : 0;
      const text = (value: unknown, bytes: number) => (typeof value === 'string' ? compactText(value, bytes) : '');
      const first: FirstCall = [
        time,
        text(record.eventID, BYTES.eventID),
        compactText(objectKey, BYTES.objectKey),
        event,
        text(record.sourceIPAddress, BYTES.address),
        text(record.awsRegion, BYTES.region),
        text(record.userAgent, BYTES.userAgent),
        text(record.errorCode, BYTES.errorCode),
      ];
      // Sightings keep the time as ISO with milliseconds: one length, ordered as text as in time.
      const iso = new Date(ms).toISOString();
      // One item (the common case) is canonical already: under any cap (2 or more), latest = earliest.
      const sightings =
        items.length === 1
          ? [[iso, compactText(items[0]!, BYTES.item), failed, 0] as Sighting]
          : canonicalSightings(
              items.map((item): Sighting => [iso, compactText(item, BYTES.item), failed, 0]),
              cap,
            );
      const start = new Date(Math.floor(ms / windowMs) * windowMs).toISOString();
      const period = new Date(Math.floor(ms / periodMs) * periodMs).toISOString();
      const aggregate: BurstAggregate = {
        first: { record: { ...identityOf(record), eventTime: time, eventID: first[1] }, objectKey: first[2] },
        windows: { [start]: { f: first, s: sightings } },
      };
      return [{ key: `${principalKey(record)}#${period}`, aggregate }];
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
      // Analyze's per-record path: the common case (an item the window has already, no earlier)
      // changes nothing and allocates nothing.
      into.first = earlierFirst(into.first, observation.first);
      let grew = false;
      for (const start in observation.windows) {
        const next = observation.windows[start]!;
        const known = into.windows[start];
        if (!known) {
          into.windows[start] = next;
          grew = true;
          continue;
        }
        if (compare(next.f, known.f) < 0) known.f = next.f;
        // An item the window has with an earlier or equal first sighting: at most its latest time
        // moves, in place (the window is Analyze's own), while the window is under its cap.
        const open = known.s.length < cap;
        const dominated = next.s.every((sighting) => {
          const at = known.s.findIndex((other) => other[1] === sighting[1]);
          const kept = known.s[at];
          if (kept === undefined || bySighting(kept, sighting) > 0) return false;
          const last = open ? latestOf(sighting) : 0;
          if (open && last > latestOf(kept)) known.s[at] = [kept[0], kept[1], kept[2], last - Date.parse(kept[0])];
          return true;
        });
        if (dominated) continue;
        const before = known.s.length;
        known.s = canonicalSightings([...known.s, ...next.s], cap);
        grew ||= known.s.length > before;
      }
      if (grew) into.windows = withinBudget(into.windows, sighting);
      return into;
    },
    async judge(key, aggregate, lookup): Promise<Verdict[]> {
      const recordOf = (f: FirstCall, first: CloudTrailRecord): CloudTrailRecord => {
        const [eventSource, eventName] = events[f[3]] ?? ['', ''];
        return {
          ...first,
          eventTime: f[0],
          eventID: f[1],
          eventSource,
          eventName,
          ...(f[4] ? { sourceIPAddress: f[4] } : {}),
          ...(f[5] ? { awsRegion: f[5] } : {}),
          ...(f[6] ? { userAgent: f[6] } : {}),
          ...(f[7] ? { errorCode: f[7] } : {}),
        };
      };
      const verdict = (
        subject: string,
        f: FirstCall,
        what: string,
        failed: boolean,
        first: CloudTrailRecord,
      ): Verdict => {
        const record = recordOf(f, first);
        const reason = `${principalOf(record)} ${spec.verb} ${what}.`;
        // Every counted call failed: an attempt, one severity step lower.
        const match = failed
          ? {
              severity: lowerSeverity(spec.meta.severity),
              title: `${spec.meta.title} (failed attempts)`,
              reason: reason.replace(/\.$/, ', every call failed.'),
            }
          : { reason };
        return { subject, record, objectKey: f[2], match };
      };
      const shown = (items: readonly string[]) => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;
      const fires = (window: BurstWindow) => window.s.length >= threshold;
      /**
       * Adjacent windows neither of which fires: the widest span across their boundary. `first` is
       * the identity of the key holding `after`, so a pair across two keys reads the same from both.
       */
      const pair = (start: string, before: BurstWindow, next: string, after: BurstWindow, first: CloudTrailRecord) => {
        const span = widestSpan(before.s, after.s, windowMs, threshold);
        if (!span) return undefined;
        const [from, to] = [span.first, span.last].map((ms) => new Date(ms).toISOString());
        const listed = shown(span.items.map((s) => s[1]));
        const across = `within ${windowMinutes} minutes across two windows`;
        const what = `${span.items.length} distinct ${spec.noun} between ${from} and ${to}, ${across} (${listed})`;
        // The finding shows window k+1's first call: inside the span (k alone holds too few items, so
        // the span counts one of k+1, first seen at or after that call) and a call of a counted item.
        // The subject names the pair: another finding id than either window's.
        const failed = span.items.every((s) => s[2] === 1);
        return verdict(`${start}/${next}`, after.f, what, failed, first);
      };
      const verdicts: Verdict[] = [];
      const starts = Object.keys(aggregate.windows).sort();
      const own = aggregate.first.record;
      const period = periodOfKey(key, periodMs, periodStart);
      // The pair across the period's start, with the previous key's last window: looked up only
      // when this period's first window holds calls and does not fire on its own.
      const head = starts[0];
      if (period && head !== undefined && windowIndex(head) === period.index * periodWindows) {
        const after = aggregate.windows[head]!;
        const before = fires(after) ? undefined : await lookup(`${period.prefix}${periodStart(period.index - 1)}`);
        const last = before && Object.keys(before.windows).sort().at(-1);
        const window = last === undefined ? undefined : before?.windows[last];
        if (last && window && windowIndex(last) === windowIndex(head) - 1 && !fires(window)) {
          const found = pair(last, window, head, after, own);
          if (found) verdicts.push({ ...found, identityKey: key });
        }
      }
      starts.forEach((start, i) => {
        const window = aggregate.windows[start]!;
        const { f, s: sightings } = window;
        if (fires(window)) {
          const end = new Date(Date.parse(start) + windowMs).toISOString();
          const count = sightings.length >= cap ? `more than ${threshold}` : String(sightings.length);
          const listed = shown(sightings.map((s) => s[1]));
          const what = `${count} distinct ${spec.noun} between ${start} and ${end} (${listed})`;
          const failed = sightings.every((s) => s[2] === 1);
          verdicts.push(verdict(start, f, what, failed, own));
          return;
        }
        const next = starts[i + 1];
        if (next === undefined || fires(aggregate.windows[next]!)) return;
        if (windowIndex(next) - windowIndex(start) !== 1) return;
        const found = pair(start, window, next, aggregate.windows[next]!, own);
        if (found) verdicts.push(found);
      });
      // The pair across the period's end, with the next key's first window: the same verdict as
      // judging the next key gives (its identity, record and id), so either key or both store one.
      const tail = starts.at(-1);
      if (period && tail !== undefined && windowIndex(tail) === (period.index + 1) * periodWindows - 1) {
        const before = aggregate.windows[tail]!;
        const nextKey = `${period.prefix}${periodStart(period.index + 1)}`;
        const after = fires(before) ? undefined : await lookup(nextKey);
        const first = after && Object.keys(after.windows).sort()[0];
        const window = first === undefined ? undefined : after?.windows[first];
        if (after && first && window && windowIndex(first) === windowIndex(tail) + 1 && !fires(window)) {
          const found = pair(tail, before, first, window, after.first.record);
          if (found) verdicts.push({ ...found, identityKey: nextKey });
        }
      }
      return verdicts;
    },
  };
}

/**
 * The key's period: the key's text before it and the period's index since the epoch; undefined
 * unless the key ends in a period start as `observe` writes it (no neighbour to look up).
 */
function periodOfKey(
  key: string,
  periodMs: number,
  periodStart: (index: number) => string,
): { prefix: string; index: number } | undefined {
  const at = key.lastIndexOf('#');
  const text = key.slice(at + 1);
  const index = Math.round(Date.parse(text) / periodMs);
  if (at < 0 || !Number.isFinite(index) || periodStart(index) !== text) return undefined;
  return { prefix: key.slice(0, at + 1), index };
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

/** Whether the caller is an EC2 instance role session (assumed-role ARN ending in an instance id). */
export function isInstanceSession(record: CloudTrailRecord): boolean {
  const arn = record.userIdentity?.arn;
  return record.userIdentity?.type === 'AssumedRole' && typeof arn === 'string' && /\/i-[0-9a-f]{8,17}$/.test(arn);
}
