import { createHash } from 'node:crypto';
import { recordCopy } from '../../core/bounded.ts';
import type { CloudTrailRecord } from '../../core/cloudtrail.ts';
import type { AggregateLookup, CorrelatingDetector, Observation, Verdict } from '../../core/correlation.ts';
import type { DetectorMetadata } from '../types.ts';
import { bounded } from './regex.ts';

/*
 * Sigma's windowed counts (`| count() by f > N`, `| count(v) by f > N`, correlation rules of type
 * event_count, value_count and temporal) as one correlating detector: "at least K distinct values
 * within a window of length W, per group". An event_count counts distinct events (value = the
 * eventID, so a record seen twice counts once); value_count counts distinct values of its field;
 * temporal counts distinct referenced rules that fired (K = the number of rules).
 *
 * Windowing semantics, exactly:
 * - Time is cut into buckets of length W aligned to the Unix epoch: bucket i is [iW, (i+1)W).
 *   The correlation key is (rule, bucket, group-by values): one aggregate per group per bucket.
 * - A window is any half-open interval [s, s+W) of event times. The rule fires for a group when
 *   some window holds at least K distinct values. Any such window lies within one bucket or
 *   straddles two adjacent ones.
 * - The key of bucket i judges the windows that contain bucket i's first matched event and start
 *   in bucket i-1 or at that first event: the earliest such window with K values is the verdict.
 *   So a window is judged by the bucket its counted events end in, and every qualifying window
 *   is seen by some key (a window inside bucket i-1 is judged by bucket i-1's key).
 * - Per bucket the aggregate keeps, per value, its earliest time (the K earliest values) and its
 *   latest time (the K latest values). That is exact: a window crossing into bucket i holds the
 *   values whose latest time in bucket i-1 is >= s and whose earliest time in bucket i is < s+W;
 *   if more than K qualify on either side, K of them are kept. Merging is a union with min/max
 *   per value, then the K smallest/largest by (time, value): associative, commutative, idempotent.
 * - Verdict subject: the window start s as ISO time. Finding record: bucket i's first matched
 *   event (the earliest by time, eventID, object key), a capped copy kept in the aggregate.
 * - A burst that straddles a bucket boundary can give one finding per bucket it ends in. A late
 *   file that moves a window's start earlier gives a new finding (a new subject); the old stays.
 */

/**
 * Largest K a rule may ask for. An aggregate holds at most 2K points of at most ~280 JSON bytes,
 * a record copy of at most 16 KiB and the group values: under 64 KiB whatever the input.
 */
export const MAX_WINDOW_THRESHOLD = 64;

/** Longest window: a window needs its previous bucket's aggregate, which must outlive it in the state table. */
export const MAX_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Longest value (group-by value, counted value) kept, in UTF-16 code units; longer ones are cut and
 * control characters become `?`, so one value is at most ~260 bytes as JSON.
 */
export const MAX_WINDOW_VALUE_CHARS = 128;

/** Largest record copy kept, as UTF-8 JSON bytes; a larger record keeps only its headline fields. */
export const MAX_RECORD_COPY_BYTES = 16 * 1024;

/** One counted value and a time (ms since epoch). */
export type WindowPoint = [time: number, value: string];

/** The aggregate of one group in one bucket. */
export interface WindowAggregate {
  /** Bucket start, ms since the epoch. */
  b: number;
  /** The group-by values. */
  g: string[];
  /** Per value its earliest time in the bucket: the K earliest, sorted by (time, value). */
  h: WindowPoint[];
  /** Per value its latest time in the bucket: the K latest, sorted by time descending, then value. */
  l: WindowPoint[];
  /** The bucket's first matched event: time, eventID, object key and a capped record copy. */
  f: { t: number; id: string; o: string; r: CloudTrailRecord };
}

/** What a windowed Sigma rule counts. */
export interface WindowRule {
  meta: DetectorMetadata;
  /** The values a record adds (empty: the record does not count). Pure and total. */
  values(record: CloudTrailRecord): string[];
  /** Group-by field paths, as written in the rule (`userIdentity.arn`). */
  groupBy: string[];
  /** Distinct values needed in one window (N+1 for `> N`, N for `>= N`). */
  threshold: number;
  windowMs: number;
  /** What is counted, for the finding's reason: "events", "distinct eventName values", "rules". */
  counted: string;
}

/** Builds the correlating detector of a windowed rule; see the comment at the top of this file. */
export function windowDetector(rule: WindowRule): CorrelatingDetector<WindowAggregate> {
  const { threshold: k, windowMs: w } = rule;
  const groupPaths = rule.groupBy.map((field) => field.split('.'));
  const keyOf = (group: readonly string[], bucket: number) => windowKey(rule.meta.id, group, bucket);
  return {
    kind: 'correlating',
    meta: rule.meta,
    observe(record, objectKey): readonly Observation<WindowAggregate>[] | undefined {
      const time = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : NaN;
      if (!Number.isFinite(time)) return undefined;
      const values = rule.values(record);
      if (values.length === 0) return undefined;
      const bucket = Math.floor(time / w) * w;
      const group = groupPaths.map((path) => cut(firstText(record, path) ?? ''));
      const points = [...new Set(values.map(cut))]
        .sort()
        .slice(0, k)
        .map((value): WindowPoint => [time, value]);
      const id = typeof record.eventID === 'string' ? cut(record.eventID) : '';
      const aggregate: WindowAggregate = {
        b: bucket,
        g: group,
        h: points,
        l: points,
        f: { t: time, id, o: objectKey, r: recordCopyOf(record) },
      };
      return [{ key: keyOf(group, bucket), aggregate }];
    },
    merge(a, b) {
      return {
        b: a.b,
        g: a.g,
        h: joinPoints(a.h, b.h, k, Math.min, ascending),
        l: joinPoints(a.l, b.l, k, Math.max, descending),
        f: firstOf(a.f, b.f),
      };
    },
    async judge(_key, aggregate, lookup: AggregateLookup<WindowAggregate>): Promise<readonly Verdict[]> {
      const previous = await lookup(keyOf(aggregate.g, aggregate.b - w));
      const start = earliestWindow(previous?.l ?? [], aggregate.h, k, w);
      if (start === undefined) return [];
      const group = rule.groupBy.map((field, index) => `${field}=${aggregate.g[index] ?? ''}`).join(', ');
      const reason =
        `Sigma rule '${rule.meta.title}': at least ${k} ${rule.counted} within ${formatSpan(w)}` +
        `${group ? ` for ${group}` : ''}, in the window from ${new Date(start).toISOString()}`;
      return [
        { subject: new Date(start).toISOString(), record: aggregate.f.r, objectKey: aggregate.f.o, match: { reason } },
      ];
    },
  };
}

/**
 * The start of the earliest window with `k` distinct values that holds the bucket's first point
 * (`head[0]`), given the previous bucket's latest points (`tail`); undefined when there is none.
 */
export function earliestWindow(
  tail: readonly WindowPoint[],
  head: readonly WindowPoint[],
  k: number,
  w: number,
): number | undefined {
  const first = head[0];
  if (!first) return undefined;
  const starts = [...new Set(tail.map(([time]) => time))].sort((a, b) => a - b);
  for (const start of [...starts, first[0]]) {
    if (start + w <= first[0] || start > first[0]) continue;
    const seen = new Set<string>();
    for (const [time, value] of tail) if (time >= start) seen.add(value);
    for (const [time, value] of head) if (time < start + w) seen.add(value);
    if (seen.size >= k) return start;
  }
  return undefined;
}

/**
 * The correlation key of a group's bucket: `<detector id>#<bucket start ISO>#<group values JSON>`.
 * Long group values (or a long id, from a long rule title) are hashed, so a key stays under 1 KB.
 */
export function windowKey(detectorId: string, group: readonly string[], bucket: number): string {
  const groupText = JSON.stringify(group);
  const groupPart = groupText.length > 512 ? `sha256-${sha256(groupText)}` : groupText;
  const id = detectorId.length > 200 ? `${detectorId.slice(0, 120)}-${sha256(detectorId).slice(0, 16)}` : detectorId;
  return `${id}#${new Date(bucket).toISOString()}#${groupPart}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function joinPoints(
  a: readonly WindowPoint[],
  b: readonly WindowPoint[],
  k: number,
  pick: (x: number, y: number) => number,
  order: (x: WindowPoint, y: WindowPoint) => number,
): WindowPoint[] {
  const byValue = new Map<string, number>();
  for (const [time, value] of [...a, ...b]) {
    const known = byValue.get(value);
    byValue.set(value, known === undefined ? time : pick(known, time));
  }
  return [...byValue]
    .map(([value, time]): WindowPoint => [time, value])
    .sort(order)
    .slice(0, k);
}

function ascending(x: WindowPoint, y: WindowPoint): number {
  return x[0] - y[0] || compareText(x[1], y[1]);
}

function descending(x: WindowPoint, y: WindowPoint): number {
  return y[0] - x[0] || compareText(x[1], y[1]);
}

function firstOf(a: WindowAggregate['f'], b: WindowAggregate['f']): WindowAggregate['f'] {
  const order = a.t - b.t || compareText(a.id, b.id) || compareText(a.o, b.o);
  return order <= 0 ? a : b;
}

/** Code-unit order, the same on every machine (not locale order). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cut(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would grow sixfold as JSON escapes
  return (text.length > MAX_WINDOW_VALUE_CHARS ? text.slice(0, MAX_WINDOW_VALUE_CHARS) : text).replace(
    /[\u0000-\u001f]/g,
    '?',
  );
}

/** The first string, number or boolean at a dotted path (arrays: their first such element). */
export function firstText(node: unknown, path: readonly string[], index = 0): string | undefined {
  if (Array.isArray(node)) {
    for (const element of node.slice(0, 64)) {
      const found = firstText(element, path, index);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (index === path.length) {
    if (typeof node === 'string') return bounded(node);
    return typeof node === 'number' || typeof node === 'boolean' ? String(node) : undefined;
  }
  if (node === null || typeof node !== 'object' || !Object.hasOwn(node, path[index]!)) return undefined;
  return firstText((node as Record<string, unknown>)[path[index]!], path, index + 1);
}

/** The record itself when its JSON is small; otherwise its headline fields and identity, each cut. */
function recordCopyOf(record: CloudTrailRecord): CloudTrailRecord {
  return recordCopy(record, { wholeUpToBytes: MAX_RECORD_COPY_BYTES, fieldBytes: 256 });
}

function formatSpan(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
