import { principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import type { AggregateLookup, Verdict } from '../core/correlation.ts';
import type { BurstAggregate, BurstSpec, BurstWindow, FirstCall } from './burst-aggregate.ts';
import { widestSpan } from './burst-span.ts';
import { lowerSeverity } from './lib.ts';

/** What the judge of one burst detector needs from its construction. */
export interface BurstJudgeContext {
  spec: BurstSpec;
  threshold: number;
  cap: number;
  windowMs: number;
  windowMinutes: number;
  periodMs: number;
  periodWindows: number;
  /** The detector's events in a fixed order: a window's first call names its event by index. */
  events: readonly (readonly [string, string])[];
}

/**
 * The judge of a burst detector: each window that reaches the threshold, each pair of adjacent
 * windows where neither does (the widest sliding span), and the pairs across the key's period
 * boundaries with the neighbouring keys (see the top of burst.ts).
 */
export function burstJudge(context: BurstJudgeContext) {
  const { spec, threshold, cap, windowMs, windowMinutes, periodMs, periodWindows, events } = context;
  /** A period's start as its key writes it (the same arithmetic as `observe`). */
  const periodStart = (index: number) => new Date(index * periodMs).toISOString();
  /** A window's index since the epoch (rounded: ISO text keeps whole milliseconds). */
  const windowIndex = (start: string) => Math.round(Date.parse(start) / windowMs);
  return async (
    key: string,
    aggregate: BurstAggregate,
    lookup: AggregateLookup<BurstAggregate>,
  ): Promise<Verdict[]> => {
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
